//! The per-segment sample index: each sample's duration, size and keyframe flag, stored as a
//! compact blob in the segment's database row so that an export can plan an MP4 and find the
//! byte range of every sample without touching the encrypted file.
//!
//! Encoding: per sample, two LEB128 varints: `duration_90k << 1 | is_key`, then `size`.

/// One sample (access unit) of a segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    /// Duration in 90 kHz units.
    pub duration_90k: u32,
    /// Size in bytes of the sample's data (length-prefixed NAL units).
    pub size: u32,
    /// A random access point (IDR): decoding may start here.
    pub is_key: bool,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SampleIndexError {
    #[error("sample index is truncated")]
    Truncated,
    #[error("sample index has a value too large")]
    Overflow,
}

/// Appends one sample to an encoded index.
pub fn push(buf: &mut Vec<u8>, sample: Sample) {
    put_varint(
        buf,
        (u64::from(sample.duration_90k) << 1) | u64::from(sample.is_key),
    );
    put_varint(buf, u64::from(sample.size));
}

/// Encodes a whole list of samples.
pub fn encode(samples: &[Sample]) -> Vec<u8> {
    let mut buf = Vec::with_capacity(samples.len() * 4);
    for s in samples {
        push(&mut buf, *s);
    }
    buf
}

/// Decodes an index written by [`encode`] or [`push`].
pub fn decode(mut data: &[u8]) -> Result<Vec<Sample>, SampleIndexError> {
    let mut out = Vec::with_capacity(data.len() / 4);
    while !data.is_empty() {
        let first = take_varint(&mut data)?;
        let size = take_varint(&mut data)?;
        out.push(Sample {
            duration_90k: u32::try_from(first >> 1).map_err(|_| SampleIndexError::Overflow)?,
            size: u32::try_from(size).map_err(|_| SampleIndexError::Overflow)?,
            is_key: first & 1 == 1,
        });
    }
    Ok(out)
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
            Sample {
                duration_90k: 6000,
                size: 123_456,
                is_key: true,
            },
            Sample {
                duration_90k: 6000,
                size: 12,
                is_key: false,
            },
            Sample {
                duration_90k: 0,
                size: 0,
                is_key: false,
            },
            Sample {
                duration_90k: u32::MAX,
                size: u32::MAX,
                is_key: true,
            },
        ];
        assert_eq!(decode(&encode(&samples)).unwrap(), samples);
    }

    #[test]
    fn typical_samples_take_about_four_bytes() {
        let s = Sample {
            duration_90k: 6000,
            size: 30_000,
            is_key: false,
        };
        assert_eq!(encode(&[s]).len(), 5);
    }

    #[test]
    fn truncation_is_an_error() {
        let mut data = encode(&[Sample {
            duration_90k: 6000,
            size: 300,
            is_key: false,
        }]);
        data.pop();
        assert_eq!(decode(&data), Err(SampleIndexError::Truncated));
    }
}
