use super::*;

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// SPS NAL units written by the encoders cameras use (ffmpeg's libx264 and libx265, 320x240).
const X264_BASELINE: &str = "6742c00cd90141fb0110000003001000000301e0f142a480";
const X264_MAIN_TWO_B: &str = "674d400ceca0a0fd8088000003000800000300f078a14cb0";
const X265_DEFAULT: &str =
    "42010101600000030090000003000003003ca00a080f165959a4932bc05a020000030002000003001e10";
const X265_NO_B: &str =
    "42010101600000030090000003000003003ca00a080f16592a4932bc05a020000003002000000301e1";

fn avcc(sps: &[u8]) -> Vec<u8> {
    crate::h264::avc_decoder_config(sps, &[0x68, 0xce, 0x3c, 0x80]).unwrap()
}

fn hvcc(sps: &[u8]) -> Vec<u8> {
    let mut c = vec![0u8; 22];
    c.push(2); // two arrays: a VPS (skipped), then the SPS
    c.extend([0x20, 0, 1, 0, 2, 0x40, 0x01]);
    c.extend([0x21, 0, 1]);
    c.extend((sps.len() as u16).to_be_bytes());
    c.extend(sps);
    c
}

#[test]
fn h264_reorder_depth_is_what_ffprobe_reports() {
    assert_eq!(
        reorder_depth(Codec::H264, &avcc(&hex(X264_BASELINE))),
        Ok(0)
    );
    assert_eq!(
        reorder_depth(Codec::H264, &avcc(&hex(X264_MAIN_TWO_B))),
        Ok(2)
    );
}

#[test]
fn h265_reorder_depth_is_what_ffprobe_reports() {
    assert_eq!(reorder_depth(Codec::H265, &hvcc(&hex(X265_DEFAULT))), Ok(2));
    assert_eq!(reorder_depth(Codec::H265, &hvcc(&hex(X265_NO_B))), Ok(0));
}

#[test]
fn h264_without_bitstream_restrictions_infers_the_dpb_size() {
    // Level 3.0 (MaxDpbMbs 8100) at 320x240 (300 macroblocks): 27 frames, capped at 16.
    assert_eq!(max_dpb_mbs(30) / 300, 27);
    assert_eq!(
        max_dpb_mbs(40) / (120 * 68),
        4,
        "1080p at level 4: four frames"
    );
}

#[test]
fn a_broken_record_is_an_error_not_a_guess() {
    assert_eq!(
        reorder_depth(Codec::H264, &[1, 2, 3]),
        Err(PicturesError::NoSps)
    );
    assert_eq!(
        reorder_depth(Codec::H265, &[0; 23]),
        Err(PicturesError::NoSps)
    );
    let truncated = hex(&X265_DEFAULT[..30]);
    assert!(matches!(
        reorder_depth(Codec::H265, &hvcc(&truncated)),
        Err(PicturesError::BadSps(_))
    ));
}

fn sample(nals: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    for n in nals {
        out.extend((n.len() as u32).to_be_bytes());
        out.extend(*n);
    }
    out
}

#[test]
fn pictures_are_classified_by_their_first_slice() {
    let sei: &[u8] = &[0x06, 0x05, 0x01];
    assert_eq!(
        picture_kind(Codec::H264, &sample(&[sei, &[0x65, 0x88]])),
        PictureKind::RandomAccess
    );
    assert_eq!(
        picture_kind(Codec::H264, &sample(&[&[0x41, 0x9a]])),
        PictureKind::Other
    );
    // H.265 header: type << 1 in the first byte.
    let cra: &[u8] = &[21 << 1, 1, 0xaf];
    let rasl: &[u8] = &[8 << 1, 1, 0xaf];
    let trail: &[u8] = &[1 << 1, 1, 0xaf];
    let prefix_sei: &[u8] = &[39 << 1, 1, 5];
    assert_eq!(
        picture_kind(Codec::H265, &sample(&[prefix_sei, cra])),
        PictureKind::RandomAccess
    );
    assert_eq!(
        picture_kind(Codec::H265, &sample(&[rasl])),
        PictureKind::SkippedAtStart
    );
    assert_eq!(
        picture_kind(Codec::H265, &sample(&[trail])),
        PictureKind::Other
    );
    // A length running past the end stops the scan without a panic.
    assert_eq!(
        picture_kind(Codec::H265, &[0, 0, 0, 9, 42]),
        PictureKind::Other
    );
}
