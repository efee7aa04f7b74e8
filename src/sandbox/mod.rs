//! STUB: being written. The fake Autocalls API.
