//! What a simulated run is made of (validators, nodes, links, faults, goals), and the named
//! scenarios the test suite runs. A builder takes the seed, so a scenario may draw its faults
//! (which Byzantine behaviour, when a crash happens) from it as well.

use crate::bft::Timeouts;

use super::rng::SimRng;

/// How a node departs from the protocol. Byzantine nodes run the honest engine; their host
/// rewrites or drops what the engine sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Behaviour {
    Honest,
    /// Sends nothing.
    Silent,
    /// Every vote goes out with a conflicting twin vote: one half of the peers gets each.
    Equivocate,
    /// Every vote it sends is nil.
    AlwaysNil,
    /// When proposing, one half of the peers gets one block and the other half another.
    SplitProposer,
    /// Proposes blocks that fail validation.
    InvalidProposer,
}

impl Behaviour {
    /// The Byzantine behaviours a scenario may draw from.
    pub const BYZANTINE: [Behaviour; 5] = [
        Behaviour::Silent,
        Behaviour::Equivocate,
        Behaviour::AlwaysNil,
        Behaviour::SplitProposer,
        Behaviour::InvalidProposer,
    ];
}

#[derive(Clone, Debug)]
pub struct NodeSpec {
    /// Index of the key it signs with; two nodes with one key are twins.
    pub key: usize,
    pub behaviour: Behaviour,
}

/// Every message between two nodes takes `latency + uniform(0..=jitter)` ms and is lost with
/// probability `loss_ppm / 10^6`.
#[derive(Clone, Copy, Debug)]
pub struct LinkSpec {
    pub latency_ms: u64,
    pub jitter_ms: u64,
    pub loss_ppm: u32,
}

/// From `from_ms` until `until_ms`, nodes talk only within their group (unlisted nodes: alone).
#[derive(Clone, Debug)]
pub struct Partition {
    pub from_ms: u64,
    pub until_ms: u64,
    pub groups: Vec<Vec<usize>>,
}

/// Node `node` crashes at `at_ms` and restarts `down_ms` later, from its disk, or without its
/// safety record if `amnesia`.
#[derive(Clone, Copy, Debug)]
pub struct Crash {
    pub node: usize,
    pub at_ms: u64,
    pub down_ms: u64,
    pub amnesia: bool,
}

#[derive(Clone, Debug)]
pub struct Scenario {
    pub name: String,
    /// Stake of each key at height 1.
    pub stakes: Vec<u64>,
    pub nodes: Vec<NodeSpec>,
    pub link: LinkSpec,
    pub partitions: Vec<Partition>,
    pub crashes: Vec<Crash>,
    /// Whenever a node is to propose and no node is down, it crashes (before or after sending
    /// its proposal, by coin flip) and stays down this long.
    pub leader_crash_down_ms: Option<u64>,
    /// From each listed height on, the stakes of the keys (0: not a validator).
    pub set_changes: Vec<(u64, Vec<u64>)>,
    pub timeouts: Timeouts,
    /// The run ends once every honest node has decided this height.
    pub target_height: u64,
    /// …or fails liveness at this simulated time.
    pub max_time_ms: u64,
    /// Faults are over from here (partitions healed, crashed nodes restarted)…
    pub stable_from_ms: u64,
    /// …and from then on the gap between two new heights must not exceed this.
    pub liveness_bound_ms: u64,
    /// Share one signature cache among all nodes (each signature verified once per run).
    pub shared_verifier_cache: bool,
}

impl Scenario {
    /// `n` honest validators of equal stake, a clean network, 10 heights.
    pub fn honest(name: &str, n: usize) -> Scenario {
        Scenario {
            name: name.to_string(),
            stakes: vec![100; n],
            nodes: (0..n).map(|key| NodeSpec { key, behaviour: Behaviour::Honest }).collect(),
            link: LinkSpec { latency_ms: 10, jitter_ms: 20, loss_ppm: 0 },
            partitions: vec![],
            crashes: vec![],
            leader_crash_down_ms: None,
            set_changes: vec![],
            timeouts: Timeouts {
                propose_ms: 300,
                prevote_ms: 150,
                precommit_ms: 150,
                delta_ms: 50,
                rebroadcast_ms: 250,
            },
            target_height: 10,
            max_time_ms: 120_000,
            stable_from_ms: 0,
            liveness_bound_ms: 10_000,
            shared_verifier_cache: true,
        }
    }

    fn with_behaviour(mut self, node: usize, behaviour: Behaviour) -> Scenario {
        self.nodes[node].behaviour = behaviour;
        self
    }

    /// Keys held by anything but a plain honest node: Byzantine behaviour, a twin, amnesia.
    pub fn faulty_keys(&self) -> Vec<usize> {
        let mut keys: Vec<usize> = Vec::new();
        for (i, n) in self.nodes.iter().enumerate() {
            let twin = self.nodes.iter().enumerate().any(|(j, m)| j != i && m.key == n.key);
            let amnesiac = self.crashes.iter().any(|c| c.node == i && c.amnesia);
            if n.behaviour != Behaviour::Honest || twin || amnesiac {
                keys.push(n.key);
            }
        }
        keys.sort();
        keys.dedup();
        keys
    }

    /// Whether node `i` is honest (its decisions are held to agreement and validity).
    pub fn is_honest(&self, i: usize) -> bool {
        !self.faulty_keys().contains(&self.nodes[i].key)
    }
}

/// Builds a scenario from a seed.
pub type Builder = fn(u64) -> Scenario;

/// The scenarios of issue #5, by name, each a function of the seed.
pub fn all() -> Vec<(&'static str, Builder)> {
    vec![
        ("n4_honest", n4_honest),
        ("n4_one_silent", n4_one_silent),
        ("n4_one_equivocating", n4_one_equivocating),
        ("n7_two_byzantine_mixed", n7_two_byzantine_mixed),
        ("unequal_stakes_30pct_byzantine", unequal_stakes_30pct_byzantine),
        ("partition_2_2_then_heal", partition_2_2_then_heal),
        ("leader_crashes_every_round", leader_crashes_every_round),
        ("every_node_crashes_and_restarts", every_node_crashes_and_restarts),
        ("loss_1pct_with_jitter", loss_1pct_with_jitter),
        ("validator_set_change", validator_set_change),
        ("n4_twins_quarter_stake", n4_twins_quarter_stake),
        ("n4_one_amnesiac", n4_one_amnesiac),
    ]
}

pub fn n4_honest(_seed: u64) -> Scenario {
    Scenario::honest("n4_honest", 4)
}

pub fn n4_one_silent(_seed: u64) -> Scenario {
    Scenario::honest("n4_one_silent", 4).with_behaviour(3, Behaviour::Silent)
}

pub fn n4_one_equivocating(_seed: u64) -> Scenario {
    Scenario::honest("n4_one_equivocating", 4).with_behaviour(3, Behaviour::Equivocate)
}

/// Two of seven equal validators (2/7 < 1/3), each with a behaviour drawn from the seed.
pub fn n7_two_byzantine_mixed(seed: u64) -> Scenario {
    let mut rng = SimRng::new(seed ^ 0x5eed_0007);
    let a = *rng.pick(&Behaviour::BYZANTINE);
    let b = *rng.pick(&Behaviour::BYZANTINE);
    Scenario::honest("n7_two_byzantine_mixed", 7).with_behaviour(5, a).with_behaviour(6, b)
}

/// One validator holds 30% of the stake and is Byzantine (drawn from the seed).
pub fn unequal_stakes_30pct_byzantine(seed: u64) -> Scenario {
    let mut rng = SimRng::new(seed ^ 0x5eed_0030);
    let kind = *rng.pick(&Behaviour::BYZANTINE);
    let mut s = Scenario::honest("unequal_stakes_30pct_byzantine", 5).with_behaviour(0, kind);
    s.stakes = vec![300, 250, 200, 150, 100];
    s
}

/// Two against two (no side has a quorum) for a few seconds, then heal.
pub fn partition_2_2_then_heal(seed: u64) -> Scenario {
    let mut rng = SimRng::new(seed ^ 0x5eed_0022);
    let from_ms = rng.between(0, 1_500);
    let until_ms = from_ms + rng.between(2_000, 6_000);
    let mut s = Scenario::honest("partition_2_2_then_heal", 4);
    s.partitions = vec![Partition { from_ms, until_ms, groups: vec![vec![0, 1], vec![2, 3]] }];
    s.stable_from_ms = until_ms;
    s
}

pub fn leader_crashes_every_round(_seed: u64) -> Scenario {
    let mut s = Scenario::honest("leader_crashes_every_round", 4);
    s.leader_crash_down_ms = Some(1_000);
    s.target_height = 8;
    s
}

/// Every node crashes twice at random times, and once all together; each comes back from disk.
pub fn every_node_crashes_and_restarts(seed: u64) -> Scenario {
    let mut rng = SimRng::new(seed ^ 0x5eed_0c4a);
    let mut s = Scenario::honest("every_node_crashes_and_restarts", 4);
    let all_at = rng.between(500, 3_000);
    for node in 0..4 {
        for _ in 0..2 {
            let at_ms = rng.between(0, 6_000);
            let down_ms = rng.between(100, 1_500);
            s.crashes.push(Crash { node, at_ms, down_ms, amnesia: false });
        }
        let down_ms = rng.between(100, 1_000);
        s.crashes.push(Crash { node, at_ms: all_at, down_ms, amnesia: false });
    }
    s.stable_from_ms = s.crashes.iter().map(|c| c.at_ms + c.down_ms).max().unwrap_or(0);
    s
}

pub fn loss_1pct_with_jitter(_seed: u64) -> Scenario {
    let mut s = Scenario::honest("loss_1pct_with_jitter", 4);
    s.link = LinkSpec { latency_ms: 5, jitter_ms: 60, loss_ppm: 10_000 };
    s
}

/// Five nodes; key 4 joins at height 4 while key 0 leaves, powers change, key 0 returns at 8.
pub fn validator_set_change(_seed: u64) -> Scenario {
    let mut s = Scenario::honest("validator_set_change", 5);
    s.stakes = vec![100, 100, 100, 100, 0];
    s.set_changes = vec![(4, vec![0, 200, 100, 100, 150]), (8, vec![50, 50, 100, 100, 100])];
    s.target_height = 12;
    s
}

/// One of four keys runs as twins (25% of the stake, below a third), split across a partition
/// and then reunited: the honest nodes must stay safe and, once healed, live.
pub fn n4_twins_quarter_stake(seed: u64) -> Scenario {
    let mut rng = SimRng::new(seed ^ 0x5eed_7714);
    let mut s = Scenario::honest("n4_twins_quarter_stake", 4);
    s.nodes.push(NodeSpec { key: 3, behaviour: Behaviour::Honest });
    let until_ms = rng.between(1_000, 4_000);
    s.partitions =
        vec![Partition { from_ms: 0, until_ms, groups: vec![vec![0, 1, 3], vec![2, 4]] }];
    s.stable_from_ms = until_ms;
    s
}

/// One of four validators keeps crashing and restarting without its safety record (amnesia).
pub fn n4_one_amnesiac(seed: u64) -> Scenario {
    let mut rng = SimRng::new(seed ^ 0x5eed_a44e);
    let mut s = Scenario::honest("n4_one_amnesiac", 4);
    for _ in 0..4 {
        let at_ms = rng.between(0, 4_000);
        s.crashes.push(Crash { node: 3, at_ms, down_ms: rng.between(10, 500), amnesia: true });
    }
    s
}

/// Negative control: two of four equal keys (50% of the stake) each run as twins, and the
/// network is split so that each side holds one twin of each plus one honest node. Both sides
/// reach a quorum on their own and decide different blocks.
pub fn twins_half_stake(seed: u64) -> Scenario {
    let mut rng = SimRng::new(seed ^ 0x5eed_7715);
    let mut s = Scenario::honest("twins_half_stake", 4);
    s.nodes.push(NodeSpec { key: 2, behaviour: Behaviour::Honest });
    s.nodes.push(NodeSpec { key: 3, behaviour: Behaviour::Honest });
    let until_ms = rng.between(2_000, 4_000);
    s.partitions =
        vec![Partition { from_ms: 0, until_ms, groups: vec![vec![0, 2, 3], vec![1, 4, 5]] }];
    s.stable_from_ms = until_ms;
    s.target_height = 4;
    s
}
