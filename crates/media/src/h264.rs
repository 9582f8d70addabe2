//! H.264 elementary streams: Annex-B NAL unit splitting, access unit grouping
//! (ITU-T H.264 §7.4.1.2.3), the few SPS fields a container or an SDP needs,
//! the AVCDecoderConfigurationRecord (ISO/IEC 14496-15 §5.3.3.1) and the
//! length-prefixed sample format of MP4. Pure code, no I/O.

use bytes::Bytes;

/// NAL unit types (ITU-T H.264 Table 7-1) used by this module and its users.
pub mod nal_type {
    /// Coded slice of a non-IDR picture.
    pub const SLICE: u8 = 1;
    /// Coded slice data partition A.
    pub const SLICE_DPA: u8 = 2;
    /// Coded slice data partition B.
    pub const SLICE_DPB: u8 = 3;
    /// Coded slice data partition C.
    pub const SLICE_DPC: u8 = 4;
    /// Coded slice of an IDR picture.
    pub const IDR: u8 = 5;
    /// Supplemental enhancement information.
    pub const SEI: u8 = 6;
    /// Sequence parameter set.
    pub const SPS: u8 = 7;
    /// Picture parameter set.
    pub const PPS: u8 = 8;
    /// Access unit delimiter.
    pub const AUD: u8 = 9;
}

/// Errors from parsing H.264 byte streams and parameter sets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum H264Error {
    /// The input does not start with an Annex-B start code (only zero bytes
    /// may precede the first `00 00 01`).
    #[error("no Annex-B start code at the start of the stream")]
    NoStartCode,
    /// A NAL unit is shorter than its own syntax requires (empty NAL unit,
    /// or a slice too short to hold the start of its slice header).
    #[error("truncated NAL unit at byte offset {offset}")]
    TruncatedNal {
        /// Byte offset of the NAL unit header in the input.
        offset: usize,
    },
    /// A NAL unit has forbidden_zero_bit set.
    #[error("NAL unit at byte offset {offset} has forbidden_zero_bit set")]
    ForbiddenBit {
        /// Byte offset of the NAL unit header in the input.
        offset: usize,
    },
    /// No sequence parameter set was found.
    #[error("no SPS NAL unit found")]
    NoSps,
    /// No picture parameter set was found.
    #[error("no PPS NAL unit found")]
    NoPps,
    /// A NAL unit passed as a parameter set is of another type.
    #[error("expected NAL unit type {expected}, got {actual}")]
    WrongNalType {
        /// The type that was required.
        expected: u8,
        /// The type that was given.
        actual: u8,
    },
    /// The SPS could not be parsed.
    #[error("invalid SPS: {0}")]
    InvalidSps(&'static str),
    /// A NAL unit is too large for a 16-bit length field.
    #[error("parameter set of {0} bytes does not fit a 16-bit length")]
    ParameterSetTooLarge(usize),
}

/// The type of a NAL unit (low 5 bits of its header byte); 0 for an empty slice.
pub fn nal_unit_type(nal: &[u8]) -> u8 {
    nal.first().map_or(0, |b| b & 0x1f)
}

/// Whether the NAL unit type is a VCL type that carries a slice header
/// (and so can start a new primary coded picture).
fn has_slice_header(t: u8) -> bool {
    matches!(t, nal_type::SLICE | nal_type::SLICE_DPA | nal_type::IDR)
}

/// Whether the NAL unit type is a VCL NAL unit (types 1-5).
pub fn is_vcl(t: u8) -> bool {
    (nal_type::SLICE..=nal_type::IDR).contains(&t)
}

/// Finds the next `00 00 01` at or after `from`; returns the index of its first byte.
fn find_start_code(data: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while i + 2 < data.len() {
        match data[i + 2] {
            1 => {
                if data[i] == 0 && data[i + 1] == 0 {
                    return Some(i);
                }
                i += 3;
            }
            0 => i += 1,
            _ => i += 3,
        }
    }
    None
}

/// Splits an Annex-B byte stream into NAL units (without start codes).
///
/// Accepts 3- and 4-byte start codes; zero bytes before a start code
/// (`trailing_zero_8bits`, or the leading zero of a 4-byte start code) are
/// not part of the preceding NAL unit. Returns `(offset, nal)` pairs where
/// `offset` is the position of the NAL header byte in `data`.
pub fn split_annexb(data: &[u8]) -> Result<Vec<(usize, &[u8])>, H264Error> {
    let mut out = Vec::new();
    if data.is_empty() {
        return Ok(out);
    }
    let first = find_start_code(data, 0).ok_or(H264Error::NoStartCode)?;
    if data[..first].iter().any(|&b| b != 0) {
        return Err(H264Error::NoStartCode);
    }
    let mut start = first + 3;
    loop {
        let next = find_start_code(data, start);
        let mut end = next.unwrap_or(data.len());
        while end > start && data[end - 1] == 0 {
            end -= 1;
        }
        if end == start {
            return Err(H264Error::TruncatedNal { offset: start });
        }
        if data[start] & 0x80 != 0 {
            return Err(H264Error::ForbiddenBit { offset: start });
        }
        out.push((start, &data[start..end]));
        match next {
            Some(n) => start = n + 3,
            None => return Ok(out),
        }
    }
}

/// Reads bits MSB-first from an RBSP embedded in a NAL unit payload,
/// skipping emulation-prevention bytes (`00 00 03` → `00 00`) on the fly.
pub struct BitReader<'a> {
    data: &'a [u8],
    pos: usize,
    zeros: u8,
    cur: u8,
    bits_left: u8,
}

impl<'a> BitReader<'a> {
    /// Creates a reader over `payload` (the NAL unit without its header byte).
    pub fn new(payload: &'a [u8]) -> Self {
        BitReader {
            data: payload,
            pos: 0,
            zeros: 0,
            cur: 0,
            bits_left: 0,
        }
    }

    fn next_byte(&mut self) -> Option<u8> {
        let mut b = *self.data.get(self.pos)?;
        self.pos += 1;
        if self.zeros >= 2 && b == 3 {
            // Emulation prevention byte: drop it.
            self.zeros = 0;
            b = *self.data.get(self.pos)?;
            self.pos += 1;
        }
        if b == 0 {
            self.zeros = self.zeros.saturating_add(1);
        } else {
            self.zeros = 0;
        }
        Some(b)
    }

    /// Reads one bit; `None` at the end of the data.
    pub fn read_bit(&mut self) -> Option<bool> {
        if self.bits_left == 0 {
            self.cur = self.next_byte()?;
            self.bits_left = 8;
        }
        self.bits_left -= 1;
        Some((self.cur >> self.bits_left) & 1 == 1)
    }

    /// Reads `n` (≤ 32) bits as an unsigned integer.
    pub fn read_bits(&mut self, n: u32) -> Option<u32> {
        debug_assert!(n <= 32);
        let mut v: u64 = 0;
        for _ in 0..n {
            v = (v << 1) | u64::from(self.read_bit()?);
        }
        u32::try_from(v).ok()
    }

    /// Reads an unsigned Exp-Golomb code, ue(v) (§9.1). `None` at the end of
    /// the data or if the value does not fit in 32 bits.
    pub fn read_ue(&mut self) -> Option<u32> {
        let mut leading_zeros = 0u32;
        while !self.read_bit()? {
            leading_zeros += 1;
            if leading_zeros > 31 {
                return None;
            }
        }
        let suffix = u64::from(self.read_bits(leading_zeros)?);
        u32::try_from((1u64 << leading_zeros) - 1 + suffix).ok()
    }

    /// Reads a signed Exp-Golomb code, se(v) (§9.1.1).
    pub fn read_se(&mut self) -> Option<i32> {
        let k = i64::from(self.read_ue()?);
        let v = if k % 2 == 1 { (k + 1) / 2 } else { -(k / 2) };
        i32::try_from(v).ok()
    }
}

/// Reads `first_mb_in_slice` from a slice NAL unit (header byte included).
pub fn first_mb_in_slice(nal: &[u8]) -> Option<u32> {
    BitReader::new(nal.get(1..)?).read_ue()
}

/// One access unit: the NAL units of one primary coded picture plus the
/// non-VCL NAL units (AUD, SPS, PPS, SEI…) that precede it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AccessUnit {
    /// NAL units in stream order, without start codes or length prefixes.
    pub nals: Vec<Bytes>,
    /// Whether the access unit holds an IDR picture.
    pub is_idr: bool,
}

impl AccessUnit {
    /// The first SPS NAL unit in this access unit, if any.
    pub fn sps(&self) -> Option<&Bytes> {
        self.nals.iter().find(|n| nal_unit_type(n) == nal_type::SPS)
    }

    /// The first PPS NAL unit in this access unit, if any.
    pub fn pps(&self) -> Option<&Bytes> {
        self.nals.iter().find(|n| nal_unit_type(n) == nal_type::PPS)
    }

    /// Total size of the NAL units, without start codes or length prefixes.
    pub fn payload_len(&self) -> usize {
        self.nals.iter().map(Bytes::len).sum()
    }
}

/// Splits an Annex-B stream into access units (ITU-T H.264 §7.4.1.2.3).
///
/// A new access unit starts at an AUD; at an SPS, PPS, SEI or NAL unit type
/// 14-18 that follows a VCL NAL unit of the current access unit; or at a
/// slice whose `first_mb_in_slice` is 0 when the current access unit already
/// has a VCL NAL unit. The NAL units are zero-copy slices of `data`.
pub fn access_units(data: &Bytes) -> Result<Vec<AccessUnit>, H264Error> {
    let mut aus = Vec::new();
    let mut cur = AccessUnit::default();
    let mut cur_has_vcl = false;
    for (offset, nal) in split_annexb(data)? {
        let t = nal_unit_type(nal);
        let starts_new = match t {
            nal_type::AUD => true,
            nal_type::SEI | nal_type::SPS | nal_type::PPS | 14..=18 => cur_has_vcl,
            _ if has_slice_header(t) => {
                let first_mb = first_mb_in_slice(nal).ok_or(H264Error::TruncatedNal { offset })?;
                cur_has_vcl && first_mb == 0
            }
            _ => false,
        };
        if starts_new && !cur.nals.is_empty() {
            aus.push(std::mem::take(&mut cur));
            cur_has_vcl = false;
        }
        if is_vcl(t) {
            cur_has_vcl = true;
        }
        if t == nal_type::IDR {
            cur.is_idr = true;
        }
        cur.nals.push(data.slice_ref(nal));
    }
    if !cur.nals.is_empty() {
        aus.push(cur);
    }
    Ok(aus)
}

/// The first SPS and the first PPS found in `aus`.
pub fn parameter_sets(aus: &[AccessUnit]) -> Result<(Bytes, Bytes), H264Error> {
    let sps = aus
        .iter()
        .find_map(AccessUnit::sps)
        .ok_or(H264Error::NoSps)?;
    let pps = aus
        .iter()
        .find_map(AccessUnit::pps)
        .ok_or(H264Error::NoPps)?;
    Ok((sps.clone(), pps.clone()))
}

fn check_type(nal: &[u8], expected: u8) -> Result<(), H264Error> {
    let actual = nal_unit_type(nal);
    if nal.is_empty() || actual != expected {
        return Err(H264Error::WrongNalType { expected, actual });
    }
    Ok(())
}

/// The `profile-level-id` of RFC 6184 §8.1: profile_idc, the constraint
/// flags byte and level_idc of the SPS (header byte included), as 6 hex digits.
pub fn profile_level_id(sps: &[u8]) -> Result<String, H264Error> {
    check_type(sps, nal_type::SPS)?;
    let b = sps
        .get(1..4)
        .ok_or(H264Error::InvalidSps("shorter than 4 bytes"))?;
    Ok(format!("{:02X}{:02X}{:02X}", b[0], b[1], b[2]))
}

/// The fields of a sequence parameter set that containers need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpsInfo {
    /// profile_idc.
    pub profile_idc: u8,
    /// The constraint_set flags byte (profile_compatibility).
    pub constraint_flags: u8,
    /// level_idc.
    pub level_idc: u8,
    /// chroma_format_idc (1 = 4:2:0 unless a High profile says otherwise).
    pub chroma_format_idc: u32,
    /// bit_depth_luma_minus8.
    pub bit_depth_luma_minus8: u32,
    /// bit_depth_chroma_minus8.
    pub bit_depth_chroma_minus8: u32,
    /// Displayed width in pixels (after frame cropping).
    pub width: u32,
    /// Displayed height in pixels (after frame cropping).
    pub height: u32,
}

fn has_chroma_info(profile_idc: u8) -> bool {
    matches!(
        profile_idc,
        100 | 110 | 122 | 244 | 44 | 83 | 86 | 118 | 128 | 138 | 139 | 134 | 135
    )
}

/// Parses an SPS NAL unit (header byte included) up to the frame cropping
/// fields (ITU-T H.264 §7.3.2.1.1).
pub fn parse_sps(sps: &[u8]) -> Result<SpsInfo, H264Error> {
    const EOF: H264Error = H264Error::InvalidSps("ends early");
    check_type(sps, nal_type::SPS)?;
    let mut r = BitReader::new(&sps[1..]);
    let profile_idc = r.read_bits(8).ok_or(EOF)? as u8;
    let constraint_flags = r.read_bits(8).ok_or(EOF)? as u8;
    let level_idc = r.read_bits(8).ok_or(EOF)? as u8;
    let _sps_id = r.read_ue().ok_or(EOF)?;
    let mut chroma_format_idc = 1;
    let mut separate_colour_plane = false;
    let mut bit_depth_luma_minus8 = 0;
    let mut bit_depth_chroma_minus8 = 0;
    if has_chroma_info(profile_idc) {
        chroma_format_idc = r.read_ue().ok_or(EOF)?;
        if chroma_format_idc > 3 {
            return Err(H264Error::InvalidSps("chroma_format_idc > 3"));
        }
        if chroma_format_idc == 3 {
            separate_colour_plane = r.read_bit().ok_or(EOF)?;
        }
        bit_depth_luma_minus8 = r.read_ue().ok_or(EOF)?;
        bit_depth_chroma_minus8 = r.read_ue().ok_or(EOF)?;
        let _qpprime_y_zero_transform_bypass = r.read_bit().ok_or(EOF)?;
        if r.read_bit().ok_or(EOF)? {
            let lists = if chroma_format_idc == 3 { 12 } else { 8 };
            for i in 0..lists {
                if r.read_bit().ok_or(EOF)? {
                    let size = if i < 6 { 16 } else { 64 };
                    let (mut last, mut next) = (8i32, 8i32);
                    for _ in 0..size {
                        if next != 0 {
                            let delta = r.read_se().ok_or(EOF)?;
                            next = (last + delta).rem_euclid(256);
                        }
                        if next != 0 {
                            last = next;
                        }
                    }
                }
            }
        }
    }
    let _log2_max_frame_num_minus4 = r.read_ue().ok_or(EOF)?;
    match r.read_ue().ok_or(EOF)? {
        0 => {
            let _log2_max_poc_lsb_minus4 = r.read_ue().ok_or(EOF)?;
        }
        1 => {
            let _delta_pic_order_always_zero = r.read_bit().ok_or(EOF)?;
            let _offset_for_non_ref_pic = r.read_se().ok_or(EOF)?;
            let _offset_for_top_to_bottom_field = r.read_se().ok_or(EOF)?;
            let cycle = r.read_ue().ok_or(EOF)?;
            if cycle > 255 {
                return Err(H264Error::InvalidSps("poc cycle > 255"));
            }
            for _ in 0..cycle {
                r.read_se().ok_or(EOF)?;
            }
        }
        2 => {}
        _ => return Err(H264Error::InvalidSps("pic_order_cnt_type > 2")),
    }
    let _max_num_ref_frames = r.read_ue().ok_or(EOF)?;
    let _gaps_allowed = r.read_bit().ok_or(EOF)?;
    let width_mbs = u64::from(r.read_ue().ok_or(EOF)?) + 1;
    let height_map_units = u64::from(r.read_ue().ok_or(EOF)?) + 1;
    let frame_mbs_only = r.read_bit().ok_or(EOF)?;
    if !frame_mbs_only {
        let _mb_adaptive_frame_field = r.read_bit().ok_or(EOF)?;
    }
    let _direct_8x8_inference = r.read_bit().ok_or(EOF)?;
    let (mut crop_l, mut crop_r, mut crop_t, mut crop_b) = (0u64, 0u64, 0u64, 0u64);
    if r.read_bit().ok_or(EOF)? {
        crop_l = r.read_ue().ok_or(EOF)?.into();
        crop_r = r.read_ue().ok_or(EOF)?.into();
        crop_t = r.read_ue().ok_or(EOF)?.into();
        crop_b = r.read_ue().ok_or(EOF)?.into();
    }
    let field_factor: u64 = if frame_mbs_only { 1 } else { 2 };
    let chroma_array_type = if separate_colour_plane {
        0
    } else {
        chroma_format_idc
    };
    let (crop_unit_x, crop_unit_y) = if chroma_array_type == 0 {
        (1, field_factor)
    } else {
        let sub_width_c = if chroma_format_idc == 3 { 1 } else { 2 };
        let sub_height_c = if chroma_format_idc == 1 { 2 } else { 1 };
        (sub_width_c, sub_height_c * field_factor)
    };
    let full_w = width_mbs * 16;
    let full_h = field_factor * height_map_units * 16;
    let crop_w = crop_unit_x * (crop_l + crop_r);
    let crop_h = crop_unit_y * (crop_t + crop_b);
    if crop_w >= full_w || crop_h >= full_h {
        return Err(H264Error::InvalidSps("cropping exceeds picture size"));
    }
    let width = u32::try_from(full_w - crop_w).map_err(|_| H264Error::InvalidSps("too wide"))?;
    let height = u32::try_from(full_h - crop_h).map_err(|_| H264Error::InvalidSps("too tall"))?;
    Ok(SpsInfo {
        profile_idc,
        constraint_flags,
        level_idc,
        chroma_format_idc,
        bit_depth_luma_minus8,
        bit_depth_chroma_minus8,
        width,
        height,
    })
}

/// Builds an AVCDecoderConfigurationRecord (ISO/IEC 14496-15 §5.3.3.1) with
/// 4-byte NAL unit lengths, one SPS and one PPS (both with their header byte).
/// For the High profiles (100, 110, 122, 144) the chroma format and bit depth
/// fields are appended as the standard requires.
pub fn avc_decoder_config(sps: &[u8], pps: &[u8]) -> Result<Vec<u8>, H264Error> {
    let info = parse_sps(sps)?;
    check_type(pps, nal_type::PPS)?;
    let sps_len =
        u16::try_from(sps.len()).map_err(|_| H264Error::ParameterSetTooLarge(sps.len()))?;
    let pps_len =
        u16::try_from(pps.len()).map_err(|_| H264Error::ParameterSetTooLarge(pps.len()))?;
    let mut out = Vec::with_capacity(11 + sps.len() + pps.len() + 4);
    out.push(1); // configurationVersion
    out.push(info.profile_idc); // AVCProfileIndication
    out.push(info.constraint_flags); // profile_compatibility
    out.push(info.level_idc); // AVCLevelIndication
    out.push(0xFC | 3); // reserved '111111' + lengthSizeMinusOne = 3
    out.push(0xE0 | 1); // reserved '111' + numOfSequenceParameterSets = 1
    out.extend_from_slice(&sps_len.to_be_bytes());
    out.extend_from_slice(sps);
    out.push(1); // numOfPictureParameterSets
    out.extend_from_slice(&pps_len.to_be_bytes());
    out.extend_from_slice(pps);
    if matches!(info.profile_idc, 100 | 110 | 122 | 144) {
        out.push(0xFC | (info.chroma_format_idc as u8 & 0x03));
        out.push(0xF8 | (info.bit_depth_luma_minus8 as u8 & 0x07));
        out.push(0xF8 | (info.bit_depth_chroma_minus8 as u8 & 0x07));
        out.push(0); // numOfSequenceParameterSetExt
    }
    Ok(out)
}

/// The MP4 sample form of an access unit: every NAL unit (parameter sets
/// and SEI included, in stream order) preceded by its 4-byte big-endian length.
pub fn to_length_prefixed(au: &AccessUnit) -> Vec<u8> {
    let mut out = Vec::with_capacity(au.payload_len() + 4 * au.nals.len());
    for nal in &au.nals {
        // A NAL unit longer than 4 GiB cannot come out of a real stream.
        out.extend_from_slice(&(nal.len() as u32).to_be_bytes());
        out.extend_from_slice(nal);
    }
    out
}

#[cfg(test)]
mod tests;
