//! Leases over many rounds of many nodes: every camera held by exactly one node, fair shares,
//! a dead node's cameras taken once its leases expire, a new node given cameras by the others,
//! and fencing by epoch.

use jiff::{SignedDuration, Timestamp};

use super::*;

fn t0() -> Timestamp {
    "2026-11-23T01:00:00Z".parse().unwrap()
}

fn cams(n: usize) -> Vec<CameraId> {
    (0..n)
        .map(|i| CameraId::new(&format!("cam{i:03}")).unwrap())
        .collect()
}

fn nodes(names: &[&str]) -> Vec<NodeId> {
    names.iter().map(|n| n.to_string()).collect()
}

const PERIOD: SignedDuration = SignedDuration::from_secs(10);

/// One round: every live node plans from the same rows; claims and renewals are applied, as
/// the database would (a claim only of an expired or absent lease, so two claims of one camera
/// cannot both win: the first applied does), releases expire at once.
fn round(cameras: &[CameraId], leases: &mut Vec<Lease>, live: &[NodeId], now: Timestamp) {
    let plans: Vec<(NodeId, Plan)> = live
        .iter()
        .map(|n| (n.clone(), plan(n, cameras, leases, live, now)))
        .collect();
    for (node, plan) in plans {
        for camera in &plan.renew {
            let l = leases.iter_mut().find(|l| &l.camera == camera).unwrap();
            assert_eq!(l.node, node);
            l.expires = now + PERIOD;
        }
        for camera in &plan.release {
            let l = leases.iter_mut().find(|l| &l.camera == camera).unwrap();
            l.expires = now;
        }
        for (camera, epoch) in plan.claim {
            match leases.iter_mut().find(|l| l.camera == camera) {
                Some(l) if l.is_live(now) => {} // taken first by another: this claim loses
                Some(l) => {
                    assert_eq!(epoch, l.epoch + 1);
                    *l = Lease {
                        camera,
                        node: node.clone(),
                        epoch,
                        expires: now + PERIOD,
                    };
                }
                None => leases.push(Lease {
                    camera,
                    node: node.clone(),
                    epoch,
                    expires: now + PERIOD,
                }),
            }
        }
    }
}

fn holders(cameras: &[CameraId], leases: &[Lease], now: Timestamp) -> BTreeMap<NodeId, usize> {
    let mut count = BTreeMap::new();
    for camera in cameras {
        let l = leases
            .iter()
            .find(|l| &l.camera == camera && l.is_live(now));
        let l = l.unwrap_or_else(|| panic!("{camera} is held by nobody"));
        *count.entry(l.node.clone()).or_default() += 1;
    }
    count
}

#[test]
fn three_nodes_share_ten_cameras_and_no_camera_twice() {
    let cameras = cams(10);
    let live = nodes(&["a", "b", "c"]);
    let mut leases = Vec::new();
    round(&cameras, &mut leases, &live, t0());
    let count = holders(&cameras, &leases, t0());
    assert_eq!(count.values().sum::<usize>(), 10);
    assert!(count.values().all(|&n| n <= 4), "{count:?}");
    // The next round renews everything and claims nothing.
    let later = t0() + SignedDuration::from_secs(3);
    for n in &live {
        let p = plan(n, &cameras, &leases, &live, later);
        assert!(p.claim.is_empty() && p.release.is_empty(), "{n}: {p:?}");
    }
}

#[test]
fn a_dead_nodes_cameras_move_once_its_leases_expire() {
    let cameras = cams(12);
    let mut live = nodes(&["a", "b", "c"]);
    let mut leases = Vec::new();
    round(&cameras, &mut leases, &live, t0());
    let of_c: Vec<CameraId> = leases
        .iter()
        .filter(|l| l.node == "c")
        .map(|l| l.camera.clone())
        .collect();
    live.retain(|n| n != "c");
    // Before c's leases expire nobody takes them: at most one recorder per camera.
    let soon = t0() + SignedDuration::from_secs(5);
    round(&cameras, &mut leases, &live, soon);
    assert!(leases
        .iter()
        .filter(|l| of_c.contains(&l.camera))
        .all(|l| l.node == "c"));
    // After they expire, the survivors take them, each under a new epoch.
    let after = t0() + PERIOD + SignedDuration::from_secs(1);
    round(&cameras, &mut leases, &live, after);
    let count = holders(&cameras, &leases, after);
    assert_eq!(count.keys().cloned().collect::<Vec<_>>(), ["a", "b"]);
    assert!(count.values().all(|&n| n == 6), "{count:?}");
    assert!(leases
        .iter()
        .filter(|l| of_c.contains(&l.camera))
        .all(|l| l.epoch == 2));
}

#[test]
fn a_new_node_is_given_its_share_by_the_others() {
    let cameras = cams(12);
    let mut live = nodes(&["a", "b"]);
    let mut leases = Vec::new();
    round(&cameras, &mut leases, &live, t0());
    live.push("d".into());
    let t1 = t0() + SignedDuration::from_secs(3);
    round(&cameras, &mut leases, &live, t1); // a and b let go of their excess
    let t2 = t1 + SignedDuration::from_secs(1);
    round(&cameras, &mut leases, &live, t2); // d takes it
    let count = holders(&cameras, &leases, t2);
    assert_eq!(count.get("d"), Some(&4), "{count:?}");
    assert!(count.values().all(|&n| n == 4), "{count:?}");
}

#[test]
fn only_the_current_lease_of_this_node_may_index() {
    let camera = CameraId::new("cam1").unwrap();
    let lease = Lease {
        camera: camera.clone(),
        node: "a".into(),
        epoch: 3,
        expires: t0() + PERIOD,
    };
    assert_eq!(may_index("a", 3, &camera, Some(&lease), t0()), Ok(()));
    assert!(matches!(
        may_index("a", 2, &camera, Some(&lease), t0()),
        Err(Fenced::Elsewhere { epoch: 3, .. })
    ));
    assert!(matches!(
        may_index("b", 3, &camera, Some(&lease), t0()),
        Err(Fenced::Elsewhere { .. })
    ));
    assert!(matches!(
        may_index("a", 3, &camera, Some(&lease), t0() + PERIOD),
        Err(Fenced::Expired { .. })
    ));
    assert!(matches!(
        may_index("a", 3, &camera, None, t0()),
        Err(Fenced::NoLease { .. })
    ));
    assert_eq!(plan("a", &[], &[], &nodes(&["a"]), t0()), Plan::default());
}
