use super::*;

const DEMO: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../assets/clips/demo-360p15.h264"
);
const BENCH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../assets/clips/bench-1080p15.h264"
);

fn load(path: &str) -> Bytes {
    Bytes::from(std::fs::read(path).expect("clip file readable"))
}

#[test]
fn splits_three_and_four_byte_start_codes() {
    let data = [
        0, 0, 0, 1, 0x67, 1, 2, 0, 0, 1, 0x68, 3, 0, 0, 0, 0, 1, 0x65, 0x88, 0,
    ];
    let nals = split_annexb(&data).unwrap();
    let nals: Vec<&[u8]> = nals.into_iter().map(|(_, n)| n).collect();
    assert_eq!(
        nals,
        vec![&[0x67, 1, 2][..], &[0x68, 3][..], &[0x65, 0x88][..]]
    );
}

#[test]
fn rejects_garbage_and_empty_nal() {
    assert_eq!(
        split_annexb(&[1, 0, 0, 1, 0x67]),
        Err(H264Error::NoStartCode)
    );
    assert_eq!(split_annexb(&[9, 9, 9]), Err(H264Error::NoStartCode));
    assert_eq!(
        split_annexb(&[0, 0, 1, 0x67, 0, 0, 1]),
        Err(H264Error::TruncatedNal { offset: 7 })
    );
    assert_eq!(
        split_annexb(&[0, 0, 1, 0xE7, 1]),
        Err(H264Error::ForbiddenBit { offset: 3 })
    );
    assert_eq!(split_annexb(&[]).unwrap(), vec![]);
}

#[test]
fn exp_golomb() {
    // Bits: 1 | 010 | 011 | 00100 | 00101 → 0, 1, 2, 3, 4; then se: 010 → 1, 011 → -1.
    let data = [0b1010_0110, 0b0100_0010, 0b1010_0110];
    let mut r = BitReader::new(&data);
    assert_eq!(r.read_ue(), Some(0));
    assert_eq!(r.read_ue(), Some(1));
    assert_eq!(r.read_ue(), Some(2));
    assert_eq!(r.read_ue(), Some(3));
    assert_eq!(r.read_ue(), Some(4));
    assert_eq!(r.read_se(), Some(1));
    assert_eq!(r.read_se(), Some(-1));
    assert_eq!(r.read_bit(), Some(false));
    assert_eq!(r.read_bit(), None);
}

#[test]
fn exp_golomb_skips_emulation_prevention() {
    // ue with 17 leading zeros: 00 00 (03) 00 40 00 → after removing the 03:
    // 00000000 00000000 00000000 01000000 00000000
    // = 25 zeros, 1, then 25 bits of suffix → too long for the data.
    let data = [0x00, 0x00, 0x03, 0x00, 0x40, 0x00];
    assert_eq!(BitReader::new(&data).read_ue(), None);
    // 00 00 03 01 → bits 00000000 00000000 00000001 (the 03 is dropped):
    // 23 leading zeros and no room for the suffix.
    assert_eq!(BitReader::new(&[0, 0, 3, 1]).read_ue(), None);
    // 00 00 03 80 ff ff → 16 zero bits, then 1000 0000 ..., so 16 zeros,
    // a 1, then 16 suffix bits 0000000 111111111 = 0x1ff → 65535 + 511.
    let data = [0x00, 0x00, 0x03, 0x80, 0xff, 0xff];
    assert_eq!(
        BitReader::new(&data).read_ue(),
        Some((1 << 16) - 1 + 0x01ff)
    );
    // A 03 not preceded by two zeros is data.
    let mut r = BitReader::new(&[0x03]);
    assert_eq!(r.read_bits(8), Some(3));
}

#[test]
fn groups_access_units() {
    // AUD, SPS, PPS, IDR(first_mb=0), IDR(first_mb=1), P(first_mb=0),
    // SEI, P(first_mb=0), P(first_mb=0 → new AU).
    let mut s = Vec::new();
    for nal in [
        &[0x09, 0xf0][..],
        &[0x67, 0x42, 0, 0x1e, 0xf4],
        &[0x68, 0xce],
        &[0x65, 0x88],
        &[0x65, 0x40],
        &[0x41, 0x9a],
        &[0x06, 0x05],
        &[0x41, 0x9a],
        &[0x41, 0x9b],
    ] {
        s.extend_from_slice(&[0, 0, 0, 1]);
        s.extend_from_slice(nal);
    }
    let aus = access_units(&Bytes::from(s)).unwrap();
    let types: Vec<Vec<u8>> = aus
        .iter()
        .map(|au| au.nals.iter().map(|n| nal_unit_type(n)).collect())
        .collect();
    assert_eq!(
        types,
        vec![vec![9, 7, 8, 5, 5], vec![1], vec![6, 1], vec![1]]
    );
    assert!(aus[0].is_idr);
    assert!(!aus[1].is_idr);
    assert_eq!(aus[0].sps().map(|b| b.len()), Some(5));
    assert_eq!(aus[0].pps().map(|b| b.len()), Some(2));
    assert!(aus[1].sps().is_none());
}

#[test]
fn slice_too_short_is_truncated() {
    let s = Bytes::from_static(&[0, 0, 1, 0x65]);
    assert_eq!(access_units(&s), Err(H264Error::TruncatedNal { offset: 3 }));
}

#[test]
fn length_prefixed() {
    let au = AccessUnit {
        nals: vec![Bytes::from_static(&[0x67, 1]), Bytes::from_static(&[0x65])],
        is_idr: true,
    };
    assert_eq!(
        to_length_prefixed(&au),
        vec![0, 0, 0, 2, 0x67, 1, 0, 0, 0, 1, 0x65]
    );
}

#[test]
fn parameter_set_errors() {
    assert_eq!(parameter_sets(&[]), Err(H264Error::NoSps));
    let au = AccessUnit {
        nals: vec![Bytes::from_static(&[0x67, 0x42, 0, 0x1e])],
        is_idr: false,
    };
    assert_eq!(parameter_sets(&[au]), Err(H264Error::NoPps));
    assert!(matches!(
        profile_level_id(&[0x68, 1, 2, 3]),
        Err(H264Error::WrongNalType {
            expected: 7,
            actual: 8
        })
    ));
    assert!(matches!(
        profile_level_id(&[0x67, 1]),
        Err(H264Error::InvalidSps(_))
    ));
}

#[test]
fn baseline_sps_without_chroma_fields() {
    // x264 Baseline 640x480; contains emulation prevention bytes.
    let sps = [
        0x67, 0x42, 0xC0, 0x16, 0xD9, 0x00, 0xA0, 0x3D, 0xB0, 0x11, 0x00, 0x00, 0x03, 0x00, 0x01,
        0x00, 0x00, 0x03, 0x00, 0x1E, 0x0F, 0x16, 0x2E, 0x48,
    ];
    let pps = [0x68, 0xCB, 0x83, 0xCB, 0x20];
    let info = parse_sps(&sps).unwrap();
    assert_eq!((info.width, info.height), (640, 480));
    assert_eq!(info.profile_idc, 66);
    assert_eq!(info.chroma_format_idc, 1);
    let rec = avc_decoder_config(&sps, &pps).unwrap();
    // No High-profile extension for Baseline.
    assert_eq!(rec.len(), 6 + 2 + sps.len() + 1 + 2 + pps.len());
    assert_eq!(&rec[..6], &[1, 0x42, 0xC0, 0x16, 0xFF, 0xE1]);
    assert_eq!(profile_level_id(&sps).unwrap(), "42C016");
}

#[test]
fn interlaced_sps_with_cropping() {
    // x264 High, interlaced (frame_mbs_only_flag = 0), 320x240.
    let sps = [
        0x67, 0x64, 0x00, 0x15, 0xAC, 0xD9, 0x41, 0x41, 0x0F, 0xCB, 0x80, 0x88, 0x00, 0x00, 0x03,
        0x00, 0x08, 0x00, 0x00, 0x03, 0x00, 0xF0, 0xF8, 0xA1, 0x4C, 0xB0,
    ];
    let info = parse_sps(&sps).unwrap();
    assert_eq!((info.width, info.height), (320, 240));
}

#[test]
fn corrupted_input_never_panics() {
    let clip = load(DEMO);
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let head = &clip[..4096];
    for _ in 0..2000 {
        let mut data = head.to_vec();
        let cut = (next() % data.len() as u64) as usize;
        data.truncate(cut);
        for _ in 0..(next() % 8) {
            if data.is_empty() {
                break;
            }
            let i = (next() % data.len() as u64) as usize;
            data[i] = next() as u8;
        }
        let data = Bytes::from(data);
        if let Ok(aus) = access_units(&data) {
            for au in &aus {
                let _ = to_length_prefixed(au);
                if let (Some(sps), Some(pps)) = (au.sps(), au.pps()) {
                    let _ = parse_sps(sps);
                    let _ = avc_decoder_config(sps, pps);
                    let _ = profile_level_id(sps);
                }
            }
        }
        // SPS parsing on arbitrary bytes.
        let mut sps = vec![0x67];
        sps.extend((0..(next() % 40)).map(|_| next() as u8));
        let _ = parse_sps(&sps);
    }
}

#[test]
fn demo_clip_has_150_access_units_5_idr() {
    let data = load(DEMO);
    let aus = access_units(&data).unwrap();
    assert_eq!(aus.len(), 150);
    assert_eq!(aus.iter().filter(|a| a.is_idr).count(), 5);
    assert!(aus[0].is_idr);
    // GOP 30, SPS/PPS before each IDR.
    for (i, au) in aus.iter().enumerate() {
        assert_eq!(au.is_idr, i % 30 == 0, "AU {i}");
        assert_eq!(au.sps().is_some(), au.is_idr, "AU {i}");
        assert_eq!(au.pps().is_some(), au.is_idr, "AU {i}");
    }
    let (sps, pps) = parameter_sets(&aus).unwrap();
    let info = parse_sps(&sps).unwrap();
    assert_eq!((info.width, info.height), (640, 360));
    assert_eq!(info.profile_idc, 100);
    assert_eq!(profile_level_id(&sps).unwrap(), "640016");

    let rec = avc_decoder_config(&sps, &pps).unwrap();
    assert_eq!(&rec[..6], &[1, 0x64, 0x00, 0x16, 0xFF, 0xE1]);
    assert_eq!(&rec[6..8], &(sps.len() as u16).to_be_bytes());
    assert_eq!(&rec[8..8 + sps.len()], &sps[..]);
    let p = 8 + sps.len();
    assert_eq!(rec[p], 1);
    assert_eq!(&rec[p + 1..p + 3], &(pps.len() as u16).to_be_bytes());
    assert_eq!(&rec[p + 3..p + 3 + pps.len()], &pps[..]);
    // High profile tail: 4:2:0, 8-bit, no SPS extensions.
    assert_eq!(&rec[p + 3 + pps.len()..], &[0xFD, 0xF8, 0xF8, 0x00]);

    // Every access unit survives the length-prefixed round trip.
    let total: usize = aus.iter().map(|a| to_length_prefixed(a).len()).sum();
    let nals: usize = aus.iter().map(|a| a.nals.len()).sum();
    assert_eq!(
        total,
        aus.iter().map(|a| a.payload_len()).sum::<usize>() + 4 * nals
    );
}

#[test]
fn bench_clip_is_1080p() {
    let data = load(BENCH);
    let aus = access_units(&data).unwrap();
    assert_eq!(aus.len(), 150);
    assert!(aus[0].is_idr);
    let (sps, _) = parameter_sets(&aus).unwrap();
    let info = parse_sps(&sps).unwrap();
    assert_eq!((info.width, info.height), (1920, 1080));
    assert_eq!(profile_level_id(&sps).unwrap(), "640028");
}
