//! Media formats: H.264 access units, MP4 files and segment sample indexes. Pure code, no I/O.

pub mod h264;
pub mod mp4;
pub mod pictures;
pub mod sample_index;
pub mod timeline;
