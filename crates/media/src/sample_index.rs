//! The per-segment sample index: each sample's duration, size, composition offset and kind,
//! stored as a compact blob in the segment's database row so that an export can plan an MP4 and
//! find the byte range of every sample without touching the encrypted file.
//!
//! Samples are in decode order; `duration_90k` is the step to the next sample's decode time and
//! `composition_offset_90k` how much later than its decode time the picture is shown (non-zero
//! only for streams with B-frames, ISO/IEC 14496-12 8.6.1.3).
//!
//! Two encodings exist, told apart by the first byte:
//! - Release 0.1 (no B-frames): per sample, two LEB128 varints, `duration_90k << 1 | is_key`,
//!   then `size`. Its first byte is odd, because a segment starts with a keyframe.
//! - Version 2: the bytes `00 02`, then per sample `duration_90k << 3 | flags`, the composition
//!   offset if flag 4 is set, then `size`. Flags: 1 keyframe, 2 [`Sample::needs_previous_gop`],
//!   4 has a composition offset. That costs about a byte per sample more than 0.1 (a 60 s
//!   segment at 25 fps: 1.5 KB), for one layout whatever the stream.

/// First bytes of a version 2 index.
const V2: [u8; 2] = [0, 2];
const KEY: u64 = 1;
const NEEDS_PREVIOUS_GOP: u64 = 2;
const HAS_OFFSET: u64 = 4;

/// One sample (access unit) of a segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Sample {
    /// Decode duration in 90 kHz units: the step to the next sample's decode time.
    pub duration_90k: u32,
    /// Size in bytes of the sample's data (length-prefixed NAL units).
    pub size: u32,
    /// A random access point (IDR, CRA, BLA): decoding may start here.
    pub is_key: bool,
    /// Presentation time minus decode time, in 90 kHz units.
    pub composition_offset_90k: u32,
    /// An H.265 RASL picture: it refers to the GOP before its random access point, so a clip
    /// that starts at that point leaves it out.
    pub needs_previous_gop: bool,
}

impl Sample {
    /// A sample shown when it is decoded (no B-frames) and decodable on its own terms.
    pub fn new(duration_90k: u32, size: u32, is_key: bool) -> Self {
        Sample {
            duration_90k,
            size,
            is_key,
            ..Sample::default()
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SampleIndexError {
    #[error("sample index is truncated")]
    Truncated,
    #[error("sample index has a value too large")]
    Overflow,
    #[error("sample index has an unknown version {0}")]
    UnknownVersion(u8),
}

/// Appends one sample to an index (version 2; an empty buffer gets the version first).
pub fn push(buf: &mut Vec<u8>, sample: Sample) {
    if buf.is_empty() {
        buf.extend(V2);
    }
    let offset = sample.composition_offset_90k;
    let flags = u64::from(sample.is_key) * KEY
        + u64::from(sample.needs_previous_gop) * NEEDS_PREVIOUS_GOP
        + u64::from(offset != 0) * HAS_OFFSET;
    put_varint(buf, (u64::from(sample.duration_90k) << 3) | flags);
    if offset != 0 {
        put_varint(buf, u64::from(offset));
    }
    put_varint(buf, u64::from(sample.size));
}

/// Encodes a whole list of samples.
pub fn encode(samples: &[Sample]) -> Vec<u8> {
    let mut buf = Vec::with_capacity(2 + samples.len() * 4);
    for s in samples {
        push(&mut buf, *s);
    }
    buf
}

/// Decodes an index of either version.
pub fn decode(data: &[u8]) -> Result<Vec<Sample>, SampleIndexError> {
    match data {
        [0, 2, rest @ ..] => decode_v2(rest),
        [0, v, ..] => Err(SampleIndexError::UnknownVersion(*v)),
        [0] => Err(SampleIndexError::Truncated),
        _ => decode_v1(data),
    }
}

fn decode_v1(mut data: &[u8]) -> Result<Vec<Sample>, SampleIndexError> {
    let mut out = Vec::with_capacity(data.len() / 4);
    while !data.is_empty() {
        let first = take_varint(&mut data)?;
        let size = take_varint(&mut data)?;
        out.push(Sample::new(
            u32_of(first >> 1)?,
            u32_of(size)?,
            first & 1 == 1,
        ));
    }
    Ok(out)
}

fn decode_v2(mut data: &[u8]) -> Result<Vec<Sample>, SampleIndexError> {
    let mut out = Vec::with_capacity(data.len() / 4);
    while !data.is_empty() {
        let first = take_varint(&mut data)?;
        let offset = if first & HAS_OFFSET != 0 {
            take_varint(&mut data)?
        } else {
            0
        };
        let size = take_varint(&mut data)?;
        out.push(Sample {
            duration_90k: u32_of(first >> 3)?,
            size: u32_of(size)?,
            is_key: first & KEY != 0,
            composition_offset_90k: u32_of(offset)?,
            needs_previous_gop: first & NEEDS_PREVIOUS_GOP != 0,
        });
    }
    Ok(out)
}

fn u32_of(v: u64) -> Result<u32, SampleIndexError> {
    u32::try_from(v).map_err(|_| SampleIndexError::Overflow)
}

fn put_varint(buf: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        buf.push((v as u8) | 0x80);
        v >>= 7;
    }
    buf.push(v as u8);
}

fn take_varint(data: &mut &[u8]) -> Result<u64, SampleIndexError> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let (&b, rest) = data.split_first().ok_or(SampleIndexError::Truncated)?;
        *data = rest;
        v |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Ok(v);
        }
    }
    Err(SampleIndexError::Overflow)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let samples = vec![
            Sample::new(6000, 123_456, true),
            Sample {
                composition_offset_90k: 7200,
                ..Sample::new(3600, 12, false)
            },
            Sample {
                needs_previous_gop: true,
                ..Sample::new(0, 0, false)
            },
            Sample {
                composition_offset_90k: u32::MAX,
                needs_previous_gop: true,
                ..Sample::new(u32::MAX, u32::MAX, true)
            },
        ];
        assert_eq!(decode(&encode(&samples)).unwrap(), samples);
    }

    #[test]
    fn typical_samples_take_about_four_bytes() {
        let plain = Sample::new(6000, 30_000, false);
        assert_eq!(encode(&[plain]).len(), 2 + 6);
        let b_frame = Sample {
            composition_offset_90k: 7200,
            ..plain
        };
        assert_eq!(encode(&[b_frame]).len(), 2 + 8);
    }

    #[test]
    fn release_0_1_indexes_still_read() {
        // duration 6000 << 1 | key, size 300; then duration 6000, size 12.
        let old = [0xe1, 0x5d, 0xac, 0x02, 0xe0, 0x5d, 0x0c];
        assert_eq!(
            decode(&old).unwrap(),
            vec![Sample::new(6000, 300, true), Sample::new(6000, 12, false)]
        );
    }

    #[test]
    fn truncation_and_unknown_versions_are_errors() {
        let mut data = encode(&[Sample::new(6000, 300, false)]);
        data.pop();
        assert_eq!(decode(&data), Err(SampleIndexError::Truncated));
        assert_eq!(decode(&[0]), Err(SampleIndexError::Truncated));
        assert_eq!(decode(&[0, 3, 1]), Err(SampleIndexError::UnknownVersion(3)));
        assert_eq!(decode(&[]), Ok(vec![]));
    }
}
