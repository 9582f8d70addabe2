//! What the recorder must know about a camera's pictures that RTP does not say: how far the
//! encoder reorders them (B-frames), and which ones a decoder may start at.
//!
//! RTP gives each picture its *presentation* time and sends pictures in *decode* order. A
//! stream with B-frames therefore has timestamps that go back and forth; MP4 wants decode
//! times plus a composition offset per sample. The reorder depth bounds how far back a
//! timestamp can go, which is what [`crate::timeline::DecodeTimeline`] needs to derive decode
//! times without guessing:
//! - H.264: `max_num_reorder_frames` of the SPS's VUI (E.2.1) when the encoder wrote it;
//!   otherwise zero for `pic_order_cnt_type` 2 (output order is decode order, 8.2.1.3) and the
//!   spec's inference, the DPB size of the level (A.3.1, Table A-1), for the rest. The SPS is
//!   read with `h264-reader`.
//! - H.265: `sps_max_num_reorder_pics` of the highest sub-layer, always present (7.4.3.2.1).
//!   The few fields before it are read here; no maintained crate exposes them.
//!
//! Random access: an H.264 IDR, an H.265 IRAP (IDR, CRA or BLA, 7.4.2.2). An open-GOP H.265
//! camera sends CRA pictures followed by RASL pictures, which refer to the previous GOP: they
//! are stored (a clip that runs through the CRA needs them) but skipped when a clip starts at
//! that CRA.

use crate::h264::BitReader;

/// The two codecs cameras send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    H264,
    H265,
}

/// How a picture may be used when cutting the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PictureKind {
    /// Decoding may start here (H.264 IDR; H.265 IDR, CRA, BLA).
    RandomAccess,
    /// An H.265 RASL picture: undecodable when decoding starts at its CRA.
    SkippedAtStart,
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PicturesError {
    #[error("the decoder configuration record is truncated or holds no SPS")]
    NoSps,
    #[error("the SPS cannot be read: {0}")]
    BadSps(String),
}

/// Longest reorder depth the standards allow (a DPB holds at most 16 frames).
const MAX_REORDER: u32 = 16;

/// The reorder depth of a stream, from its decoder configuration record (`avcC` or `hvcC`
/// body, as retina's `VideoParameters::extra_data` gives it).
pub fn reorder_depth(codec: Codec, config: &[u8]) -> Result<u32, PicturesError> {
    let depth = match codec {
        Codec::H264 => h264_reorder_depth(first_avcc_sps(config)?)?,
        Codec::H265 => h265_reorder_depth(first_hvcc_sps(config)?)?,
    };
    Ok(depth.min(MAX_REORDER))
}

/// Classifies a sample in MP4 form (NAL units each prefixed by a 4-byte length).
pub fn picture_kind(codec: Codec, sample: &[u8]) -> PictureKind {
    let mut rest = sample;
    let mut kind = PictureKind::Other;
    while rest.len() > 4 {
        let len = u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
        let Some(nal) = rest.get(4..4 + len) else {
            break;
        };
        rest = &rest[4 + len..];
        let Some(&header) = nal.first() else { continue };
        match codec {
            Codec::H264 => match header & 0x1f {
                5 => return PictureKind::RandomAccess,
                1..=4 => return PictureKind::Other,
                _ => {}
            },
            Codec::H265 => match (header >> 1) & 0x3f {
                16..=23 => return PictureKind::RandomAccess,
                8 | 9 => return PictureKind::SkippedAtStart,
                0..=31 => kind = PictureKind::Other,
                _ => {}
            },
        }
    }
    kind
}

/// The first SPS of an AVCDecoderConfigurationRecord (ISO/IEC 14496-15 5.3.3.1).
fn first_avcc_sps(config: &[u8]) -> Result<&[u8], PicturesError> {
    let count = config.get(5).ok_or(PicturesError::NoSps)? & 0x1f;
    if count == 0 {
        return Err(PicturesError::NoSps);
    }
    length_prefixed16(config, 6)
}

/// The first SPS of an HEVCDecoderConfigurationRecord (ISO/IEC 14496-15 8.3.3.1).
fn first_hvcc_sps(config: &[u8]) -> Result<&[u8], PicturesError> {
    let arrays = *config.get(22).ok_or(PicturesError::NoSps)?;
    let mut pos = 23;
    for _ in 0..arrays {
        let nal_type = config.get(pos).ok_or(PicturesError::NoSps)? & 0x3f;
        let count = u16::from_be_bytes(
            config
                .get(pos + 1..pos + 3)
                .ok_or(PicturesError::NoSps)?
                .try_into()
                .expect("two bytes"),
        );
        pos += 3;
        for _ in 0..count {
            let nal = length_prefixed16(config, pos)?;
            if nal_type == 33 {
                return Ok(nal);
            }
            pos += 2 + nal.len();
        }
    }
    Err(PicturesError::NoSps)
}

fn length_prefixed16(data: &[u8], pos: usize) -> Result<&[u8], PicturesError> {
    let len = data.get(pos..pos + 2).ok_or(PicturesError::NoSps)?;
    let len = usize::from(u16::from_be_bytes([len[0], len[1]]));
    data.get(pos + 2..pos + 2 + len).ok_or(PicturesError::NoSps)
}

fn h264_reorder_depth(sps: &[u8]) -> Result<u32, PicturesError> {
    use h264_reader::nal::sps::{PicOrderCntType, SeqParameterSet};
    let bad = |e: String| PicturesError::BadSps(e);
    let rbsp = h264_reader::rbsp::decode_nal(sps).map_err(|e| bad(e.to_string()))?;
    let sps = SeqParameterSet::from_bits(h264_reader::rbsp::BitReader::new(&rbsp[..]))
        .map_err(|e| bad(format!("{e:?}")))?;
    if let Some(r) = sps
        .vui_parameters
        .as_ref()
        .and_then(|v| v.bitstream_restrictions.as_ref())
    {
        return Ok(r.max_num_reorder_frames);
    }
    if matches!(sps.pic_order_cnt, PicOrderCntType::TypeTwo) {
        return Ok(0);
    }
    // E.2.1: inferred as MaxDpbFrames, zero for intra-only profiles with constraint_set3.
    let intra_only = matches!(u8::from(sps.profile_idc), 44 | 86 | 100 | 110 | 122 | 244)
        && sps.constraint_flags.flag3();
    if intra_only {
        return Ok(0);
    }
    let (width, height) = sps.pixel_dimensions().map_err(|e| bad(format!("{e:?}")))?;
    let mbs = (width.div_ceil(16) * height.div_ceil(16)).max(1);
    Ok(max_dpb_mbs(sps.level_idc) / mbs)
}

/// MaxDpbMbs of H.264 Table A-1 (level 1b shares 1.1's row here: a larger DPB only delays).
fn max_dpb_mbs(level_idc: u8) -> u32 {
    match level_idc {
        0..=10 => 396,
        11 => 900,
        12 | 13 | 20 => 2_376,
        21 => 4_752,
        22 | 30 => 8_100,
        31 => 18_000,
        32 => 20_480,
        40 | 41 => 32_768,
        42 => 34_816,
        50 => 110_400,
        51 | 52 => 184_320,
        _ => 696_320,
    }
}

/// `sps_max_num_reorder_pics[sps_max_sub_layers_minus1]` of an H.265 SPS NAL unit.
fn h265_reorder_depth(sps: &[u8]) -> Result<u32, PicturesError> {
    let bad = |what: &str| PicturesError::BadSps(format!("H.265 SPS ends before {what}"));
    let mut r = BitReader::new(sps.get(2..).ok_or_else(|| bad("its header"))?);
    let mut bits = |n: u32, what: &str| r.read_bits(n).ok_or_else(|| bad(what));
    bits(4, "sps_video_parameter_set_id")?;
    let max_sub_layers_minus1 = bits(3, "sps_max_sub_layers_minus1")?;
    bits(1, "sps_temporal_id_nesting_flag")?;
    // profile_tier_level(1, sps_max_sub_layers_minus1), 7.3.3: the general part is 96 bits.
    for _ in 0..3 {
        bits(32, "general_profile_tier_level")?;
    }
    let mut present = Vec::new();
    for _ in 0..max_sub_layers_minus1 {
        let profile = bits(1, "sub_layer_profile_present_flag")? == 1;
        let level = bits(1, "sub_layer_level_present_flag")? == 1;
        present.push((profile, level));
    }
    if max_sub_layers_minus1 > 0 {
        for _ in max_sub_layers_minus1..8 {
            bits(2, "reserved_zero_2bits")?;
        }
    }
    for (profile, level) in present {
        if profile {
            bits(32, "sub_layer_profile")?;
            bits(32, "sub_layer_profile")?;
            bits(24, "sub_layer_profile")?;
        }
        if level {
            bits(8, "sub_layer_level_idc")?;
        }
    }
    let mut ue = |what: &str| r.read_ue().ok_or_else(|| bad(what));
    ue("sps_seq_parameter_set_id")?;
    if ue("chroma_format_idc")? == 3 {
        r.read_bits(1)
            .ok_or_else(|| bad("separate_colour_plane_flag"))?;
    }
    let mut ue = |what: &str| r.read_ue().ok_or_else(|| bad(what));
    ue("pic_width_in_luma_samples")?;
    ue("pic_height_in_luma_samples")?;
    if r.read_bits(1)
        .ok_or_else(|| bad("conformance_window_flag"))?
        == 1
    {
        for _ in 0..4 {
            r.read_ue().ok_or_else(|| bad("conf_win_offset"))?;
        }
    }
    let mut ue = |what: &str| r.read_ue().ok_or_else(|| bad(what));
    ue("bit_depth_luma_minus8")?;
    ue("bit_depth_chroma_minus8")?;
    ue("log2_max_pic_order_cnt_lsb_minus4")?;
    let all_layers = r
        .read_bits(1)
        .ok_or_else(|| bad("sub_layer_ordering_info_present"))?;
    let first = if all_layers == 1 {
        0
    } else {
        max_sub_layers_minus1
    };
    let mut reorder = 0;
    for _ in first..=max_sub_layers_minus1 {
        let mut ue = |what: &str| r.read_ue().ok_or_else(|| bad(what));
        ue("sps_max_dec_pic_buffering_minus1")?;
        reorder = ue("sps_max_num_reorder_pics")?;
        ue("sps_max_latency_increase_plus1")?;
    }
    Ok(reorder)
}

#[cfg(test)]
#[path = "pictures/tests.rs"]
mod tests;
