//! Export-Csv reader (in progress).
