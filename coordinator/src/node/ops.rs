//! What the driver asks the node about its peers (to look a silent peer's
//! name up again, to look for peers on the LAN), and the inconsistencies
//! the node detects in what peers say (two leaders in one epoch), which go
//! out as events like everything else it has to tell.

use std::net::{IpAddr, SocketAddr};

use protocol::wire::{Discover, LeaderView, Message};
use protocol::{CoordinatorId, Instant};

use super::{Node, NodeEvent};

impl Node {
    /// Where peer `id` is reached, and whether it is up at `now`; `None`
    /// for a peer this node does not know.
    pub fn peer_state(&self, id: CoordinatorId, now: Instant) -> Option<(SocketAddr, bool)> {
        let addr = self.members.addr_of(id)?;
        Some((addr, self.members.is_up(id, now)))
    }

    /// How many peers are up at `now`.
    pub fn peers_up(&self, now: Instant) -> usize {
        self.members
            .peers()
            .filter(|(id, _)| self.members.is_up(*id, now))
            .count()
    }

    /// The `Discover` this node broadcasts to find its cluster on the LAN:
    /// every coordinator that hears it answers with a heartbeat reply and
    /// counts this node as a peer from then on.
    pub fn discover_message(&self, now: Instant) -> Message {
        Message::Discover(Discover {
            view: self.view(now),
        })
    }

    /// Peer `from` reported `view`: if it claims to lead an epoch that
    /// this node, or another peer that is up, also claims, says so.
    pub(super) fn check_rival(&mut self, now: Instant, from: CoordinatorId, view: LeaderView) {
        if view.leader != Some(from) {
            return;
        }
        let rival = if self.leading == Some(view.epoch) {
            Some(self.cfg.id)
        } else {
            self.members
                .peers()
                .find(|(id, p)| {
                    *id != from
                        && self.members.is_up(*id, now)
                        && p.view
                            .is_some_and(|v| v.leader == Some(*id) && v.epoch == view.epoch)
                })
                .map(|(id, _)| id)
        };
        if let Some(other) = rival {
            let leaders = [from.min(other), from.max(other)];
            self.event(NodeEvent::TwoLeaders {
                epoch: view.epoch,
                leaders,
            });
        }
    }

    /// `addr` as a node at `asker` can reach it: a peer on this machine
    /// known by a loopback address is, for a node elsewhere, at this
    /// node's advertised IP.
    pub(super) fn reachable_from(&self, addr: SocketAddr, asker: SocketAddr) -> SocketAddr {
        match self.cfg.advertise {
            Some(me) if addr.ip().is_loopback() && !asker.ip().is_loopback() => {
                let ip: IpAddr = me.ip();
                SocketAddr::new(ip, addr.port())
            }
            _ => addr,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use protocol::wire::HeartbeatRequest;
    use protocol::{Epoch, NodeId};

    use super::*;
    use crate::node::{CoordinatorConfig, Now};

    fn at(ms: u64) -> Now {
        Now {
            mono: Instant::from_millis(ms),
            unix: 1_800_000_000,
        }
    }

    fn addr(port: u16) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], port))
    }

    fn claim(node: &mut Node, ms: u64, from: u16, epoch: u32) {
        let hb = Message::HeartbeatRequest(HeartbeatRequest {
            view: LeaderView {
                epoch: Epoch(epoch),
                leader: Some(CoordinatorId(from)),
            },
            job: None,
            chain: protocol::wire::ChainHealth::Unknown,
        });
        node.handle_message(
            at(ms),
            addr(from),
            NodeId::Coordinator(CoordinatorId(from)),
            hb,
        );
    }

    fn two_leaders(node: &mut Node) -> Vec<(Epoch, [CoordinatorId; 2])> {
        std::iter::from_fn(|| node.poll_event())
            .filter_map(|e| match e {
                NodeEvent::TwoLeaders { epoch, leaders } => Some((epoch, leaders)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn two_peers_claiming_one_epoch_are_reported_and_different_epochs_are_not() {
        let cfg = CoordinatorConfig::with_heartbeat(CoordinatorId(5), Duration::from_millis(100));
        let mut node = Node::new(cfg, at(0));
        claim(&mut node, 10, 1, 7);
        claim(&mut node, 20, 2, 8);
        assert!(two_leaders(&mut node).is_empty());
        claim(&mut node, 30, 3, 8);
        assert_eq!(
            two_leaders(&mut node),
            [(Epoch(8), [CoordinatorId(2), CoordinatorId(3)])]
        );
        assert_eq!(node.peers_up(Instant::from_millis(40)), 3);
        assert_eq!(
            node.peer_state(CoordinatorId(2), Instant::from_millis(40)),
            Some((addr(2), true))
        );
        assert_eq!(
            node.peer_state(CoordinatorId(9), Instant::from_millis(40)),
            None
        );
    }

    #[test]
    fn a_peer_on_this_machine_is_pointed_to_at_the_advertised_ip() {
        let mut cfg =
            CoordinatorConfig::with_heartbeat(CoordinatorId(2), Duration::from_millis(100));
        cfg.advertise = Some("10.0.0.5:7412".parse().unwrap());
        let node = Node::new(cfg, at(0));
        let far: SocketAddr = "10.0.0.9:5000".parse().unwrap();
        assert_eq!(
            node.reachable_from(addr(7411), far),
            "10.0.0.5:7411".parse().unwrap()
        );
        assert_eq!(node.reachable_from(addr(7411), addr(6000)), addr(7411));
        let lan: SocketAddr = "10.0.0.6:7411".parse().unwrap();
        assert_eq!(node.reachable_from(lan, far), lan);
    }
}
