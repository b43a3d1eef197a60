//! A chain service in memory: templates, submissions checked like the real
//! one checks them (tip, work), and an outage switch.

use protocol::{CoordinatorId, Hash256};

use crate::node::{ChainCall, ChainError, ChainReply, Submitted, Template, Tip};

pub(super) struct FakeChain {
    pub blocks: Vec<Hash256>,
    /// Who confirmed each block after genesis, as submitted.
    pub confirmed: Vec<Vec<CoordinatorId>>,
    pub zero_bits: u8,
    pub down: bool,
}

impl FakeChain {
    pub fn new(zero_bits: u8) -> FakeChain {
        FakeChain {
            blocks: vec![Hash256([0xaa; 32])],
            confirmed: Vec::new(),
            zero_bits,
            down: false,
        }
    }

    fn template(&self) -> Result<Template, ChainError> {
        if self.down {
            return Err(ChainError::Unavailable("connection refused".into()));
        }
        Ok(Template {
            height: self.blocks.len() as u64,
            prev_hash: self.tip(),
            version: 1,
            merkle_root: Hash256([self.blocks.len() as u8; 32]),
            bits: chain::rules::compact_bits(self.zero_bits),
            min_time: 1_000,
            zero_bits: self.zero_bits,
        })
    }

    fn tip(&self) -> Hash256 {
        self.blocks.last().copied().unwrap_or(Hash256([0; 32]))
    }

    fn submit(
        &mut self,
        header: protocol::BlockHeader,
        confirmed_by: Vec<CoordinatorId>,
    ) -> Result<Submitted, ChainError> {
        if self.down {
            return Err(ChainError::Unavailable("connection refused".into()));
        }
        if header.prev_hash != self.tip() {
            return Ok(Submitted::Stale("does not extend the tip".into()));
        }
        let hash = header.hash();
        if !hash.meets(self.zero_bits) {
            return Err(ChainError::Rejected("insufficient work".into()));
        }
        self.blocks.push(hash);
        self.confirmed.push(confirmed_by);
        Ok(Submitted::Accepted {
            height: self.blocks.len() as u64 - 1,
            hash,
        })
    }

    /// Performs `call` and returns its reply.
    pub fn answer(&mut self, call: ChainCall) -> ChainReply {
        match call {
            ChainCall::Template { seq, .. } => ChainReply::Template {
                seq,
                result: self.template(),
            },
            ChainCall::Submit {
                seq,
                header,
                confirmed_by,
                ..
            } => ChainReply::Submit {
                seq,
                result: self.submit(header, confirmed_by),
            },
            ChainCall::Tip { seq } => ChainReply::Tip {
                seq,
                result: self.template().map(|t| Tip {
                    height: t.height - 1,
                    hash: t.prev_hash,
                }),
            },
        }
    }
}
