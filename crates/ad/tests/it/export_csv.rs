//! The Export-Csv reader.
