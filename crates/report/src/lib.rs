//! Reports written from a plan for people rather than programs. Each format is one module; its
//! front-end files (templates, CSS, JavaScript) live beside it and are compiled in with `include_str!`.

pub mod html;
