//! A batch of Ethernet frames in one buffer, moved through a packet socket
//! with one `recvmmsg`/`sendmmsg` instead of a syscall per frame (see
//! [`crate::afpacket::PacketSocket::try_recv_batch`] and
//! [`try_send_batch`](crate::afpacket::PacketSocket::try_send_batch)).
//!
//! The batch is `slots` fixed-size slots; each holds one frame. Received
//! frames that turn out to be our own (packet sockets see outgoing frames
//! too) keep an empty slot, which [`FrameBatch::frames_mut`] skips.
#![forbid(unsafe_code)]

/// How many frames one syscall moves at most (the kernel's `UIO_MAXIOV`
/// is 1024; 64 keeps a batch within the L2 cache).
pub const BATCH_FRAMES: usize = 64;

/// Room for one frame: a 1500-byte payload with Ethernet, VLAN and
/// PPPoE headers, rounded up (a longer frame is truncated, as before).
pub const FRAME_SLOT: usize = 2048;

/// Up to `slots` frames, each in its own slot.
#[derive(Debug)]
pub struct FrameBatch {
    data: Vec<u8>,
    slot: usize,
    /// The length of each filled slot (0: a slot to skip).
    lens: Vec<usize>,
}

impl FrameBatch {
    /// An empty batch of `slots` slots of `slot` bytes (both at least 1).
    pub fn new(slots: usize, slot: usize) -> FrameBatch {
        let (slots, slot) = (slots.max(1), slot.max(1));
        FrameBatch {
            data: vec![0u8; slots * slot],
            slot,
            lens: Vec::with_capacity(slots),
        }
    }

    /// [`BATCH_FRAMES`] slots of [`FRAME_SLOT`] bytes.
    pub fn standard() -> FrameBatch {
        FrameBatch::new(BATCH_FRAMES, FRAME_SLOT)
    }

    /// How many slots are filled (skipped ones included).
    pub fn len(&self) -> usize {
        self.lens.len()
    }

    /// No slot filled.
    pub fn is_empty(&self) -> bool {
        self.lens.is_empty()
    }

    /// Every slot filled: [`push_with`](Self::push_with) refuses.
    pub fn is_full(&self) -> bool {
        self.lens.len() * self.slot >= self.data.len()
    }

    /// How many slots there are.
    pub fn capacity(&self) -> usize {
        self.data.len() / self.slot
    }

    /// The size of one slot.
    pub fn slot_size(&self) -> usize {
        self.slot
    }

    /// Empties the batch.
    pub fn clear(&mut self) {
        self.lens.clear();
    }

    /// Fills the next slot: `fill` writes a frame into it and returns its
    /// length (`None`: nothing written, the slot stays free). False when
    /// the batch is full or `fill` wrote nothing.
    pub fn push_with(&mut self, fill: impl FnOnce(&mut [u8]) -> Option<usize>) -> bool {
        if self.is_full() {
            return false;
        }
        let at = self.lens.len() * self.slot;
        match fill(&mut self.data[at..at + self.slot]) {
            Some(n) if n > 0 && n <= self.slot => {
                self.lens.push(n);
                true
            }
            _ => false,
        }
    }

    /// The filled frames, skipped slots left out, each mutable.
    pub fn frames_mut(&mut self) -> impl Iterator<Item = &mut [u8]> {
        self.data
            .chunks_mut(self.slot)
            .zip(&self.lens)
            .filter(|(_, n)| **n > 0)
            .map(|(s, n)| &mut s[..*n])
    }

    /// The filled frames, skipped slots included (as empty slices).
    pub fn frames(&self) -> impl Iterator<Item = &[u8]> {
        self.data
            .chunks(self.slot)
            .zip(&self.lens)
            .map(|(s, n)| &s[..*n])
    }

    /// The whole buffer and the slot lengths, for the socket glue that
    /// fills it: it sets the lengths of the first slots it received into.
    pub(crate) fn raw(&mut self) -> (&mut [u8], usize, &mut Vec<usize>) {
        (&mut self.data, self.slot, &mut self.lens)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_fill_until_full_and_skipped_ones_are_left_out() {
        let mut b = FrameBatch::new(3, 4);
        assert!(b.push_with(|s| {
            s[..2].copy_from_slice(b"ab");
            Some(2)
        }));
        assert!(!b.push_with(|_| None));
        assert!(!b.push_with(|_| Some(5)), "longer than a slot");
        assert!(b.push_with(|s| {
            s.copy_from_slice(b"cdef");
            Some(4)
        }));
        b.raw().2.push(0);
        assert!(b.is_full());
        assert!(!b.push_with(|_| Some(1)));
        let got: Vec<Vec<u8>> = b.frames_mut().map(|f| f.to_vec()).collect();
        assert_eq!(got, [b"ab".to_vec(), b"cdef".to_vec()]);
        assert_eq!(b.frames().count(), 3);
        b.clear();
        assert!(b.is_empty());
        assert_eq!(b.capacity(), 3);
    }
}
