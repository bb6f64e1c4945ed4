// SPDX-License-Identifier: GPL-2.0
// The shared ring buffer (drivers/vmbus/ring.c) as both of its peers see
// it: packets, wrap-around, the signalling rules, and a hostile peer.
extern "C" {
#include <hvkit/ring.h>
}

#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

namespace {

// One ring in plain memory, with a producer and a consumer view of it.
struct TestRing {
	explicit TestRing(u32 size) : ctl(std::make_unique<hvk_ring_ctl>()), data(size)
	{
		std::memset(ctl.get(), 0, sizeof(*ctl));
		EXPECT_EQ(0, hvk_ring_init(&prod, ctl.get(), data.data(), size, true));
		EXPECT_EQ(0, hvk_ring_init(&cons, ctl.get(), data.data(), size, false));
	}
	std::unique_ptr<hvk_ring_ctl> ctl;
	std::vector<u8> data;
	hvk_ring prod{}, cons{};
};

// A packet: descriptor with @seq as transaction id, then @paylen bytes.
std::vector<u8> make_pkt(u64 seq, u32 paylen, u16 type = HVK_PKT_DATA_INBAND)
{
	u32 len = (sizeof(hvk_pkt_desc) + paylen + 7) & ~7u;
	std::vector<u8> p(len);
	hvk_pkt_desc d{};
	d.type = type;
	d.offset8 = sizeof(d) / 8;
	d.len8 = len / 8;
	d.trans_id = seq;
	std::memcpy(p.data(), &d, sizeof(d));
	for (u32 i = sizeof(d); i < len; i++)
		p[i] = static_cast<u8>(seq * 131 + i);
	return p;
}

int write_pkt(hvk_ring *r, const std::vector<u8> &p, bool *sig)
{
	hvk_kvec v{p.data(), static_cast<u32>(p.size())};
	return hvk_ring_write(r, &v, 1, sig);
}

std::vector<u8> read_pkt(hvk_ring *r, int *err)
{
	std::vector<u8> buf(HVK_PKT_MAX_LEN);
	u32 len = 0;
	*err = hvk_ring_read(r, buf.data(), buf.size(), &len);
	buf.resize(*err ? 0 : len);
	return buf;
}

TEST(Ring, EmptyRingHasNothingToRead)
{
	TestRing t(4096);
	int err;
	read_pkt(&t.cons, &err);
	EXPECT_EQ(-EAGAIN, err);
	EXPECT_EQ(0u, hvk_ring_avail_read(&t.cons));
	EXPECT_EQ(4096u, hvk_ring_avail_write(&t.prod));
}

TEST(Ring, FreshRingAnnouncesPendingSendSize)
{
	TestRing t(4096);
	EXPECT_EQ(HVK_RING_FEAT_PENDING_SEND_SZ, t.ctl->feature_bits);
}

TEST(Ring, PacketArrivesWithTrailerNamingItsStart)
{
	TestRing t(4096);
	bool sig;
	auto a = make_pkt(1, 20);	// 40 bytes, padded to 40
	auto b = make_pkt(2, 5);	// 21 -> 24
	ASSERT_EQ(0, write_pkt(&t.prod, a, &sig));
	ASSERT_EQ(0, write_pkt(&t.prod, b, &sig));
	// Wire layout: packet a at 0, its trailer, packet b at 48.
	u64 trailer;
	std::memcpy(&trailer, t.data.data() + a.size(), 8);
	EXPECT_EQ(0u, trailer);
	std::memcpy(&trailer, t.data.data() + a.size() + 8 + b.size(), 8);
	EXPECT_EQ(u64(a.size() + 8) << 32, trailer);
	EXPECT_EQ(a.size() + 8 + b.size() + 8, t.ctl->write_index);

	int err;
	EXPECT_EQ(a, read_pkt(&t.cons, &err));
	EXPECT_EQ(b, read_pkt(&t.cons, &err));
	read_pkt(&t.cons, &err);
	EXPECT_EQ(-EAGAIN, err);
}

TEST(Ring, UnalignedPiecesArePaddedAndJoined)
{
	TestRing t(4096);
	hvk_pkt_desc d{};
	d.type = HVK_PKT_DATA_INBAND;
	d.offset8 = 2;
	d.len8 = 3;	// 16 + 5 bytes, padded to 24
	const char pay[] = "hello";
	hvk_kvec v[2] = {{&d, sizeof(d)}, {pay, 5}};
	bool sig;
	ASSERT_EQ(0, hvk_ring_write(&t.prod, v, 2, &sig));
	EXPECT_EQ(32u, t.ctl->write_index);
	int err;
	auto got = read_pkt(&t.cons, &err);
	ASSERT_EQ(24u, got.size());
	EXPECT_EQ(0, std::memcmp(got.data() + 16, "hello\0\0\0", 8));
}

TEST(Ring, EveryPacketSizeSurvivesTheWrapPoint)
{
	TestRing t(8192);
	bool sig;
	int err;
	for (u64 seq = 0; seq < 20000; seq++) {
		auto p = make_pkt(seq, (seq * 7919) % 3000);
		ASSERT_EQ(0, write_pkt(&t.prod, p, &sig)) << "packet " << seq;
		ASSERT_EQ(p, read_pkt(&t.cons, &err)) << "packet " << seq;
		hvk_ring_commit(&t.cons);
	}
}

TEST(Ring, FullRingKeepsOneSlotFree)
{
	TestRing t(4096);
	bool sig;
	auto p = make_pkt(0, 1000);	// 1016 + 8 = 1024 bytes in the ring
	EXPECT_EQ(0, write_pkt(&t.prod, p, &sig));
	EXPECT_EQ(0, write_pkt(&t.prod, p, &sig));
	EXPECT_EQ(0, write_pkt(&t.prod, p, &sig));
	// 1024 free: exactly filling would make full look like empty.
	EXPECT_EQ(1024u, hvk_ring_avail_write(&t.prod));
	EXPECT_EQ(-EAGAIN, write_pkt(&t.prod, p, &sig));
	EXPECT_EQ(1u, t.prod.full);
	EXPECT_EQ(0, write_pkt(&t.prod, make_pkt(1, 992), &sig));	// 1016
}

TEST(Ring, PacketLargerThanTheRingIsRefusedForGood)
{
	TestRing t(4096);
	bool sig;
	EXPECT_EQ(-EMSGSIZE, write_pkt(&t.prod, make_pkt(0, 4096), &sig));
	EXPECT_EQ(0u, t.ctl->write_index);
}

TEST(Ring, SmallBufferLeavesThePacketInPlace)
{
	TestRing t(4096);
	bool sig;
	auto p = make_pkt(9, 100);
	ASSERT_EQ(0, write_pkt(&t.prod, p, &sig));
	u8 small[32];
	u32 len = 0;
	EXPECT_EQ(-EMSGSIZE, hvk_ring_read(&t.cons, small, sizeof(small), &len));
	EXPECT_EQ(p.size(), len);
	int err;
	EXPECT_EQ(p, read_pkt(&t.cons, &err));
}

TEST(Ring, ProducerSignalsOnlyWhenTheRingWasEmpty)
{
	TestRing t(4096);
	bool sig;
	auto p = make_pkt(0, 8);
	ASSERT_EQ(0, write_pkt(&t.prod, p, &sig));
	EXPECT_TRUE(sig) << "empty to non-empty must signal";
	ASSERT_EQ(0, write_pkt(&t.prod, p, &sig));
	EXPECT_FALSE(sig) << "already non-empty: the consumer will find it";

	int err;
	read_pkt(&t.cons, &err);
	read_pkt(&t.cons, &err);
	ASSERT_EQ(0, write_pkt(&t.prod, p, &sig));
	EXPECT_FALSE(sig) << "read but not committed: still non-empty to the producer";
	read_pkt(&t.cons, &err);
	hvk_ring_commit(&t.cons);
	ASSERT_EQ(0, write_pkt(&t.prod, p, &sig));
	EXPECT_TRUE(sig) << "consumer caught up, ring empty again";
}

TEST(Ring, MaskedConsumerIsNotSignalledButSeesTheData)
{
	TestRing t(4096);
	bool sig;
	hvk_ring_mask(&t.cons);
	ASSERT_EQ(0, write_pkt(&t.prod, make_pkt(0, 8), &sig));
	EXPECT_FALSE(sig);
	EXPECT_EQ(32u, hvk_ring_unmask(&t.cons)) << "unmask must report what arrived";
	EXPECT_EQ(0u, t.ctl->interrupt_mask);
}

TEST(Ring, CommitSignalsOnlyOnTheTransition)
{
	TestRing t(4096);
	bool sig;
	int err;
	auto p = make_pkt(0, 1000);	// 1024 each
	for (int i = 0; i < 3; i++)
		ASSERT_EQ(0, write_pkt(&t.prod, p, &sig));
	// 1024 free; the producer needs 1536.
	EXPECT_FALSE(hvk_ring_set_pending(&t.prod, 1536));
	read_pkt(&t.cons, &err);
	EXPECT_TRUE(hvk_ring_commit(&t.cons)) << "1024 -> 2048 free crosses 1536";
	read_pkt(&t.cons, &err);
	EXPECT_FALSE(hvk_ring_commit(&t.cons)) << "2048 -> 3072: was not short";
}

TEST(Ring, CommitThatLeavesTheProducerShortDoesNotSignal)
{
	TestRing t(8192);
	bool sig;
	int err;
	auto p = make_pkt(0, 1000);
	for (int i = 0; i < 7; i++)
		ASSERT_EQ(0, write_pkt(&t.prod, p, &sig));
	EXPECT_FALSE(hvk_ring_set_pending(&t.prod, 4000));	// 1024 free
	read_pkt(&t.cons, &err);
	EXPECT_FALSE(hvk_ring_commit(&t.cons)) << "2048 free, still short of 4000";
	read_pkt(&t.cons, &err);
	read_pkt(&t.cons, &err);
	EXPECT_TRUE(hvk_ring_commit(&t.cons)) << "4096 free";
}

TEST(Ring, ProducerWithoutTheFeatureIsNeverSignalled)
{
	TestRing t(4096);
	bool sig;
	int err;
	t.ctl->feature_bits = 0;
	auto p = make_pkt(0, 1000);
	for (int i = 0; i < 3; i++)
		ASSERT_EQ(0, write_pkt(&t.prod, p, &sig));
	hvk_ring_set_pending(&t.prod, 1536);
	read_pkt(&t.cons, &err);
	EXPECT_FALSE(hvk_ring_commit(&t.cons));
}

TEST(Ring, SetPendingReportsSpaceThatAlreadyExists)
{
	TestRing t(4096);
	EXPECT_TRUE(hvk_ring_set_pending(&t.prod, 1024));
	EXPECT_TRUE(hvk_ring_set_pending(&t.prod, 0));
	EXPECT_EQ(0u, t.ctl->pending_send_sz);
}

// Outbound flow control as a driver uses it (hvk_channel_set_pending_send()):
// the longest packet that fits, and the consumer's signal exactly when the
// packet asked for starts to fit.
TEST(RingFlow, MaxPktFollowsEveryFill)
{
	for (u32 used = 0; used + 24 < 4096; used += 8) {
		TestRing t(4096);
		bool sig;
		if (used) {
			// One packet of exactly @used bytes in the ring (payload used - 8).
			std::vector<u8> f(used - 8);
			hvk_kvec v{f.data(), static_cast<u32>(f.size())};
			ASSERT_EQ(0, hvk_ring_write(&t.prod, &v, 1, &sig));
		}
		u32 max = hvk_ring_max_pkt(&t.prod);
		ASSERT_EQ(4096u - used - 16, max) << "used " << used;
		std::vector<u8> a(max + 1);
		hvk_kvec over{a.data(), max + 1}, fits{a.data(), max};
		EXPECT_NE(0, hvk_ring_write(&t.prod, &over, 1, &sig)) << "used " << used;
		EXPECT_EQ(0, hvk_ring_write(&t.prod, &fits, 1, &sig)) << "used " << used;
		EXPECT_EQ(0u, hvk_ring_max_pkt(&t.prod));
	}
}

// The echo test's geometry: a packet that takes exactly half of the 252 KiB
// data ring, so only one fits at a time.
TEST(RingFlow, HalfRingPacketIsSignalledWhenThePacketBeforeItIsGivenBack)
{
	TestRing t(258048);
	bool sig;
	int err;
	auto p = make_pkt(0, 129016 - sizeof(hvk_pkt_desc));
	ASSERT_EQ(129024u, hvk_ring_pkt_space(p.size()));
	ASSERT_EQ(0, write_pkt(&t.prod, p, &sig));
	ASSERT_EQ(-EAGAIN, write_pkt(&t.prod, p, &sig)) << "the free half is one slot short";
	EXPECT_LT(hvk_ring_max_pkt(&t.prod), p.size());
	EXPECT_FALSE(hvk_ring_set_pending(&t.prod, hvk_ring_pkt_space(p.size())));
	read_pkt(&t.cons, &err);
	ASSERT_EQ(0, err);
	EXPECT_TRUE(hvk_ring_commit(&t.cons)) << "the producer waits for exactly this";
	EXPECT_GE(hvk_ring_max_pkt(&t.prod), p.size());
	EXPECT_EQ(0, write_pkt(&t.prod, p, &sig));
}

// The lost wake-up the rule closes: the consumer gives the space back before
// the producer's request is visible, so it has nothing to signal; the
// producer's re-check after its request must find the space.
TEST(RingFlow, RoomMadeBeforeTheRequestIsFoundByTheRetry)
{
	TestRing t(4096);
	bool sig;
	int err;
	auto p = make_pkt(0, 1500);	// 1528 in the ring: two fit
	ASSERT_EQ(0, write_pkt(&t.prod, p, &sig));
	ASSERT_EQ(0, write_pkt(&t.prod, p, &sig));
	ASSERT_EQ(-EAGAIN, write_pkt(&t.prod, p, &sig));
	read_pkt(&t.cons, &err);
	EXPECT_FALSE(hvk_ring_commit(&t.cons)) << "no request yet: no signal";
	EXPECT_TRUE(hvk_ring_set_pending(&t.prod, hvk_ring_pkt_space(p.size())))
		<< "the request must report the room already made, or the producer sleeps forever";
	EXPECT_EQ(0, write_pkt(&t.prod, p, &sig));
}

// For each packet size a producer may wait for, consuming small packets one
// commit at a time: the consumer signals on exactly the commit after which
// that packet first fits, never before, never after.
TEST(RingFlow, SignalComesOnTheCommitThatMakesThePacketFit)
{
	for (u32 want : {56u, 64u, 1000u, 2040u, 3000u, 4064u, 4080u}) {
		TestRing t(4096);
		bool sig;
		int err;
		auto small = make_pkt(0, 40);	// 56 bytes, 64 in the ring
		while (write_pkt(&t.prod, small, &sig) == 0)
			;
		// 64 bytes free: a packet of 56 (64 in the ring) is one slot short.
		std::vector<u8> big(want);
		hvk_kvec v{big.data(), want};
		ASSERT_EQ(-EAGAIN, hvk_ring_write(&t.prod, &v, 1, &sig)) << want;
		ASSERT_FALSE(hvk_ring_set_pending(&t.prod, hvk_ring_pkt_space(want))) << want;
		int signals = 0;
		bool fitted = false;
		for (;;) {
			read_pkt(&t.cons, &err);
			if (err)
				break;
			bool s = hvk_ring_commit(&t.cons);
			bool fits = hvk_ring_max_pkt(&t.prod) >= want;
			EXPECT_EQ(fits && !fitted, s) << "want " << want;
			signals += s;
			fitted = fits;
		}
		EXPECT_EQ(1, signals) << "want " << want;
		EXPECT_EQ(0, hvk_ring_write(&t.prod, &v, 1, &sig)) << want;
	}
}

// A hostile peer: every corruption stops the ring, for good, without
// touching memory outside it (ASan builds check the latter).
TEST(RingHostile, WriteIndexOutsideTheRing)
{
	TestRing t(4096);
	int err;
	t.ctl->write_index = 4096;
	read_pkt(&t.cons, &err);
	EXPECT_EQ(-EBADMSG, err);
	EXPECT_STREQ("write index outside the ring", t.cons.broken);
	t.ctl->write_index = 0;
	read_pkt(&t.cons, &err);
	EXPECT_EQ(-EBADMSG, err) << "corruption is sticky";
}

TEST(RingHostile, UnalignedWriteIndex)
{
	TestRing t(4096);
	int err;
	t.ctl->write_index = 44;
	read_pkt(&t.cons, &err);
	EXPECT_EQ(-EBADMSG, err);
}

// The producer loads the consumer's index when it decides on a signal, and
// when the space it last saw runs out; a bad one stops it there, with the
// packet already published inside the ring (where it did no harm).
TEST(RingHostile, ReadIndexOutsideTheRingStopsTheProducer)
{
	TestRing t(4096);
	bool sig;
	t.ctl->read_index = 0x7ffffff8;
	EXPECT_EQ(0, write_pkt(&t.prod, make_pkt(0, 8), &sig));
	EXPECT_FALSE(sig);
	EXPECT_STREQ("read index outside the ring", t.prod.broken);
	EXPECT_EQ(-EBADMSG, write_pkt(&t.prod, make_pkt(1, 8), &sig));
	EXPECT_EQ(0u, hvk_ring_avail_write(&t.prod));
}

TEST(RingHostile, MaskedConsumerWithBadReadIndexIsCaughtWhenSpaceRunsOut)
{
	TestRing t(4096);
	bool sig;
	int ret = 0, n = 0;
	t.ctl->interrupt_mask = 1;	// no signal decisions: no reload per packet
	t.ctl->read_index = 0x7ffffff8;
	while (n < 1000 && (ret = write_pkt(&t.prod, make_pkt(n, 64), &sig)) == 0)
		n++;
	EXPECT_EQ(-EBADMSG, ret);
	EXPECT_STREQ("read index outside the ring", t.prod.broken);
	// Every packet that went in fit in the ring's 4096 bytes, one slot free.
	EXPECT_GT(n, 0);
	EXPECT_LT(n * hvk_ring_pkt_space(make_pkt(0, 64).size()), 4096u);
	EXPECT_EQ(t.prod.priv_write, t.ctl->write_index);
	EXPECT_LT(t.ctl->write_index, 4096u);
}

TEST(RingHostile, ProducerNeverTrustsItsOwnSharedIndex)
{
	TestRing t(4096);
	bool sig;
	int err;
	ASSERT_EQ(0, write_pkt(&t.prod, make_pkt(0, 8), &sig));
	t.ctl->write_index = 1000;	// the peer scribbles on our index
	ASSERT_EQ(0, write_pkt(&t.prod, make_pkt(1, 8), &sig));
	EXPECT_EQ(64u, t.ctl->write_index) << "the private index wins";
	EXPECT_EQ(make_pkt(0, 8), read_pkt(&t.cons, &err));
}

struct BadDesc {
	u16 offset8, len8;
	const char *why;
};

class RingBadDescriptor : public ::testing::TestWithParam<BadDesc> {};

TEST_P(RingBadDescriptor, IsRejected)
{
	TestRing t(4096);
	const BadDesc &b = GetParam();
	hvk_pkt_desc d{};
	d.type = HVK_PKT_DATA_INBAND;
	d.offset8 = b.offset8;
	d.len8 = b.len8;
	std::vector<u8> raw(64, 0);
	std::memcpy(raw.data(), &d, sizeof(d));
	bool sig;
	hvk_kvec v{raw.data(), 64};
	ASSERT_EQ(0, hvk_ring_write(&t.prod, &v, 1, &sig));	// 72 bytes in the ring
	int err;
	read_pkt(&t.cons, &err);
	EXPECT_EQ(-EBADMSG, err);
	EXPECT_STREQ(b.why, t.cons.broken);
}

INSTANTIATE_TEST_SUITE_P(
	Corrupt, RingBadDescriptor,
	::testing::Values(BadDesc{2, 1, "packet length shorter than its descriptor"},
			  BadDesc{1, 8, "payload offset outside the packet"},
			  BadDesc{9, 8, "payload offset outside the packet"},
			  BadDesc{2, 9, "packet runs past the write index"},
			  BadDesc{2, 0xffff, "packet runs past the write index"}));

TEST(RingHostile, PacketShorterThanADescriptor)
{
	TestRing t(4096);
	int err;
	t.ctl->write_index = 16;	// 16 bytes: no room for descriptor + trailer
	read_pkt(&t.cons, &err);
	EXPECT_EQ(-EBADMSG, err);
	EXPECT_STREQ("packet shorter than its descriptor", t.cons.broken);
}

TEST(Ring, AttachTakesAndChecksTheSharedIndices)
{
	hvk_ring_ctl ctl{};
	std::vector<u8> data(4096);
	hvk_ring r;
	ctl.write_index = 64;
	ctl.read_index = 32;
	EXPECT_EQ(0, hvk_ring_init(&r, &ctl, data.data(), 4096, false));
	EXPECT_EQ(64u, r.priv_write);
	EXPECT_EQ(32u, r.priv_read);
	ctl.write_index = 4100;
	EXPECT_EQ(-EINVAL, hvk_ring_init(&r, &ctl, data.data(), 4096, false));
	EXPECT_EQ(-EINVAL, hvk_ring_init(&r, &ctl, data.data(), 4095, true));
}

// Two threads with the real signalling rules standing in for interrupts:
// a lost signal hangs (caught by the 1 s waits turning into a failure), a
// wrong byte fails the comparison.
TEST(RingThreads, ProducerAndConsumerMoveEveryPacketInOrder)
{
	TestRing t(16384);
	constexpr u64 kPackets = 300000;
	std::atomic<int> cons_kick{0}, prod_kick{0};
	std::atomic<bool> bad{false};
	u64 prod_signals = 0, cons_signals = 0;

	auto wait_kick = [&](std::atomic<int> &k) {
		for (int spins = 0; !k.exchange(0); spins++) {
			if (spins > 2000000) {
				bad = true;	// no signal for far too long
				return;
			}
			std::this_thread::yield();
		}
	};

	std::thread producer([&] {
		for (u64 seq = 0; seq < kPackets && !bad;) {
			auto p = make_pkt(seq, (seq * 2654435761u) % 2000);
			bool sig;
			int ret = write_pkt(&t.prod, p, &sig);
			if (ret == 0) {
				seq++;
				if (sig) {
					prod_signals++;
					cons_kick = 1;
				}
				continue;
			}
			if (ret != -EAGAIN) {
				bad = true;
				break;
			}
			if (!hvk_ring_set_pending(&t.prod, hvk_ring_pkt_space(p.size())))
				wait_kick(prod_kick);
			hvk_ring_set_pending(&t.prod, 0);
		}
	});

	u64 got = 0;
	std::vector<u8> buf(HVK_PKT_MAX_LEN);
	while (got < kPackets && !bad) {
		hvk_ring_mask(&t.cons);
		do {
			u32 len;
			int ret;
			while ((ret = hvk_ring_read(&t.cons, buf.data(), buf.size(), &len)) == 0) {
				auto want = make_pkt(got, (got * 2654435761u) % 2000);
				if (len != want.size() || std::memcmp(buf.data(), want.data(), len)) {
					bad = true;
					break;
				}
				got++;
			}
			if (ret != -EAGAIN && ret != 0)
				bad = true;
			if (hvk_ring_commit(&t.cons)) {
				cons_signals++;
				prod_kick = 1;
			}
		} while (hvk_ring_unmask(&t.cons) && !bad);
		if (got < kPackets && !bad)
			wait_kick(cons_kick);
	}
	producer.join();
	EXPECT_FALSE(bad);
	EXPECT_EQ(kPackets, got);
	// Signals are the exception, not one per packet.
	EXPECT_LT(prod_signals, kPackets / 2);
	RecordProperty("producer_signals", std::to_string(prod_signals));
	RecordProperty("consumer_signals", std::to_string(cons_signals));
}

int write_more(hvk_ring *r, const std::vector<u8> &p)
{
	hvk_kvec v{p.data(), static_cast<u32>(p.size())};
	return hvk_ring_write_more(r, &v, 1);
}

TEST(RingBatch, PacketsAreUnseenUntilPublishedThenSignalledOnce)
{
	TestRing t(4096);
	for (u64 i = 0; i < 5; i++)
		ASSERT_EQ(0, write_more(&t.prod, make_pkt(i, 40)));
	int err;
	read_pkt(&t.cons, &err);
	EXPECT_EQ(-EAGAIN, err) << "a batched packet was seen before its publish";
	EXPECT_EQ(0u, t.ctl->write_index);
	EXPECT_TRUE(hvk_ring_publish(&t.prod)) << "an empty ring going non-empty is signalled";
	EXPECT_FALSE(hvk_ring_publish(&t.prod)) << "nothing new: no second signal";
	for (u64 i = 0; i < 5; i++) {
		auto got = read_pkt(&t.cons, &err);
		ASSERT_EQ(0, err);
		EXPECT_EQ(got, make_pkt(i, 40));
	}
	read_pkt(&t.cons, &err);
	EXPECT_EQ(-EAGAIN, err);
}

TEST(RingBatch, NoSignalWhenTheConsumerHadNotCaughtUpOrIsMasked)
{
	TestRing t(4096);
	bool sig;
	ASSERT_EQ(0, write_pkt(&t.prod, make_pkt(1, 40), &sig));
	EXPECT_TRUE(sig);
	ASSERT_EQ(0, write_more(&t.prod, make_pkt(2, 40)));
	EXPECT_FALSE(hvk_ring_publish(&t.prod)) << "the ring was not empty before the batch";
	int err;
	read_pkt(&t.cons, &err);
	read_pkt(&t.cons, &err);
	hvk_ring_commit(&t.cons);
	hvk_ring_mask(&t.cons);
	ASSERT_EQ(0, write_more(&t.prod, make_pkt(3, 40)));
	EXPECT_FALSE(hvk_ring_publish(&t.prod)) << "the consumer masked its interrupt";
}

TEST(RingBatch, AFullRingPublishesWhatTheBatchWrote)
{
	TestRing t(512);
	u64 n = 0;
	while (write_more(&t.prod, make_pkt(n, 40)) == 0)
		n++;
	ASSERT_GT(n, 2u);
	EXPECT_EQ(0u, t.ctl->write_index);
	bool sig;
	EXPECT_EQ(-EAGAIN, write_pkt(&t.prod, make_pkt(n, 40), &sig));
	EXPECT_TRUE(sig) << "the batch's packets went out with the failed write";
	EXPECT_EQ(t.prod.priv_write, t.ctl->write_index);
	int err;
	for (u64 i = 0; i < n; i++) {
		auto got = read_pkt(&t.cons, &err);
		ASSERT_EQ(0, err);
		EXPECT_EQ(got, make_pkt(i, 40));
	}
}

TEST(RingBatch, ACorruptReadIndexStopsTheBatch)
{
	TestRing t(4096);
	ASSERT_EQ(0, write_more(&t.prod, make_pkt(1, 40)));
	t.ctl->read_index = 4093;	// not a multiple of 8: a hostile consumer
	t.prod.seen_read = t.prod.priv_write + 8;	// force a reload of read_index
	EXPECT_EQ(-EBADMSG, write_more(&t.prod, make_pkt(2, 3000)));
	EXPECT_FALSE(hvk_ring_publish(&t.prod)) << "a broken ring publishes nothing more";
}

} // namespace
