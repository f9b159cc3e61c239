//! DNS message helpers over NLnet Labs' `domain` codec: the checks a
//! received message must pass, and the messages the machines build.

use alloc::vec::Vec;

use domain::base::iana::{Class, Opcode, Rcode, Rtype};
use domain::base::message_builder::{AdditionalBuilder, MessageBuilder};
use domain::base::name::{Name, ParsedName, ToName};
use domain::base::{Message, Record, Ttl};
use domain::rdata::AllRecordData;

/// Why a DNS message was refused. No heap data.
#[derive(Clone, Copy, PartialEq, Eq, Debug, thiserror::Error)]
pub enum Dns64WireError {
    /// The message ends inside `field`.
    #[error("truncated {field}")]
    Truncated {
        /// What was being read.
        field: &'static str,
    },
    /// `field` holds a value this role does not accept.
    #[error("bad value in {field}")]
    BadValue {
        /// Which field.
        field: &'static str,
    },
}

/// A parsed record of any type, borrowing the message.
pub(crate) type AnyRecord<'a> =
    Record<ParsedName<&'a [u8]>, AllRecordData<&'a [u8], ParsedName<&'a [u8]>>>;

/// The one question of a message, owned.
#[derive(Clone, PartialEq, Eq, Debug)]
pub(crate) struct Question {
    pub name: Name<Vec<u8>>,
    pub qtype: Rtype,
    pub qclass: Class,
}

impl Question {
    pub(crate) fn matches(&self, other: &Question) -> bool {
        self.qtype == other.qtype && self.qclass == other.qclass && self.name.name_eq(&other.name)
    }
}

/// The EDNS facts of a query: the requestor's UDP size and the DO bit.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct Edns {
    pub udp_size: u16,
    pub dnssec_ok: bool,
}

/// A message with exactly one question, every record parseable.
pub(crate) fn parse(bytes: &[u8]) -> Result<(Message<&[u8]>, Question), Dns64WireError> {
    let msg =
        Message::from_octets(bytes).map_err(|_| Dns64WireError::Truncated { field: "header" })?;
    if msg.header().opcode() != Opcode::QUERY {
        return Err(Dns64WireError::BadValue { field: "opcode" });
    }
    if msg.header_counts().qdcount() != 1 {
        return Err(Dns64WireError::BadValue { field: "qdcount" });
    }
    let q = msg
        .sole_question()
        .map_err(|_| Dns64WireError::Truncated { field: "question" })?;
    let question = Question {
        name: q.qname().to_name(),
        qtype: q.qtype(),
        qclass: q.qclass(),
    };
    // Walk every record once so later passes cannot fail half-way.
    let mut section = msg
        .answer()
        .map_err(|_| Dns64WireError::Truncated { field: "answer" })?;
    loop {
        for r in section {
            let r = r.map_err(|_| Dns64WireError::Truncated { field: "record" })?;
            r.to_record::<AllRecordData<_, _>>()
                .map_err(|_| Dns64WireError::BadValue { field: "rdata" })?;
        }
        match section.next_section() {
            Ok(Some(next)) => section = next,
            Ok(None) => break,
            Err(_) => return Err(Dns64WireError::Truncated { field: "section" }),
        }
    }
    Ok((msg, question))
}

/// The EDNS facts of a parsed message, if it has an OPT record.
pub(crate) fn edns(msg: &Message<&[u8]>) -> Option<Edns> {
    msg.opt().map(|o| Edns {
        udp_size: o.udp_payload_size(),
        dnssec_ok: o.dnssec_ok(),
    })
}

/// Every answer-section record, parsed (`parse` checked they parse).
pub(crate) fn answers<'a>(msg: &'a Message<&'a [u8]>) -> impl Iterator<Item = AnyRecord<'a>> + 'a {
    msg.answer()
        .into_iter()
        .flat_map(|s| s.flatten())
        .filter_map(|r| r.to_record::<AllRecordData<_, _>>().ok().flatten())
}

/// Every authority-section record, parsed.
pub(crate) fn authorities<'a>(
    msg: &'a Message<&'a [u8]>,
) -> impl Iterator<Item = AnyRecord<'a>> + 'a {
    msg.authority()
        .into_iter()
        .flat_map(|s| s.flatten())
        .filter_map(|r| r.to_record::<AllRecordData<_, _>>().ok().flatten())
}

/// The header bits a reply copies: id, RD, CD of the query.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ReplyTo {
    pub id: u16,
    pub rd: bool,
    pub cd: bool,
    pub edns: Option<Edns>,
}

/// Starts a reply: header as the query asked, the question, answer next.
pub(crate) fn reply_builder(
    to: ReplyTo,
    question: &Question,
    rcode: Rcode,
    ra: bool,
) -> domain::base::message_builder::AnswerBuilder<Vec<u8>> {
    let mut b = MessageBuilder::new_vec();
    let h = b.header_mut();
    h.set_id(to.id);
    h.set_qr(true);
    h.set_opcode(Opcode::QUERY);
    h.set_rd(to.rd);
    h.set_cd(to.cd);
    h.set_ra(ra);
    h.set_rcode(rcode);
    let mut q = b.question();
    // A Vec target has no size limit: cannot fail.
    let _ = q.push((&question.name, question.qtype, question.qclass));
    q.answer()
}

/// Adds the OPT record a reply to `edns` carries, and finishes.
pub(crate) fn finish(mut add: AdditionalBuilder<Vec<u8>>, edns: Option<Edns>) -> Vec<u8> {
    if let Some(e) = edns {
        let _ = add.opt(|o| {
            o.set_udp_payload_size(OUR_UDP_SIZE);
            o.set_dnssec_ok(e.dnssec_ok);
            Ok(())
        });
    }
    add.finish()
}

/// The UDP payload size we advertise and forward at most (the DNS flag
/// day 2020 value).
pub(crate) const OUR_UDP_SIZE: u16 = 1232;

/// The largest reply a requestor takes over UDP.
pub(crate) fn reply_limit(edns: Option<Edns>) -> usize {
    match edns {
        None => 512,
        Some(e) => usize::from(e.udp_size.clamp(512, OUR_UDP_SIZE)),
    }
}

/// A query to an upstream resolver.
pub(crate) fn query(
    id: u16,
    question: &Question,
    rd: bool,
    cd: bool,
    edns: Option<Edns>,
) -> Vec<u8> {
    let mut b = MessageBuilder::new_vec();
    let h = b.header_mut();
    h.set_id(id);
    h.set_rd(rd);
    h.set_cd(cd);
    let mut q = b.question();
    let _ = q.push((&question.name, question.qtype, question.qclass));
    let mut add = q.additional();
    if let Some(e) = edns {
        let _ = add.opt(|o| {
            o.set_udp_payload_size(e.udp_size.clamp(512, OUR_UDP_SIZE));
            o.set_dnssec_ok(e.dnssec_ok);
            Ok(())
        });
    }
    add.finish()
}

/// The header and question of a reply that did not fit, with TC set.
pub(crate) fn truncated(to: ReplyTo, question: &Question, rcode: Rcode, ra: bool) -> Vec<u8> {
    let mut a = reply_builder(to, question, rcode, ra);
    a.header_mut().set_tc(true);
    finish(a.additional(), to.edns)
}

/// A TTL in seconds.
pub(crate) fn ttl(secs: u32) -> Ttl {
    Ttl::from_secs(secs)
}
