// Session store: the journal a session writes, restore() in a new session
// (a process restarted), resume with DUP and PUBREL, exactly-once inbound
// across the restart, snapshots, and bad logs (torn, corrupt, newer, someone
// else's).
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "mqtt/session_store.hpp"
#include "session_test_util.hpp"

namespace tpgate::mqtt::test {
namespace {

constexpr std::string_view kServer = "mqtt://127.0.0.1:1883";

std::vector<Packet> packets_of(const Bytes& bytes) {
  DecoderOptions d;
  d.version = ProtocolVersion::v5;
  d.role = Role::Any;
  Decoder decoder(d);
  decoder.feed(bytes);
  std::vector<Packet> packets;
  for (;;) {
    Packet p;
    Error e;
    const Decoder::Status status = decoder.next(p, e);
    EXPECT_NE(status, Decoder::Status::Error) << e.message;
    if (status != Decoder::Status::Packet) break;
    packets.push_back(std::move(p));
  }
  return packets;
}

// A QoS 2 PUBLISH from the server: topic "in", packet id `id`, payload "x".
Bytes inbound_qos2(std::uint8_t id, bool dup) {
  return {static_cast<std::uint8_t>(dup ? 0x3C : 0x34), 0x08, 0x00, 0x02, 'i', 'n', 0x00, id, 0x00, 'x'};
}

SessionOptions stored_options() {
  SessionOptions o = options_v5();
  o.journal = true;
  o.clean_start = false;
  return o;
}

// A session that runs as a host with a store would: its log starts with a
// snapshot and grows by every output's journal.
struct StoredHost {
  explicit StoredHost(SessionOptions o) : c(std::move(o)) { log = c.session.snapshot(kServer); }
  Output keep(Output out) {
    log.insert(log.end(), out.journal.begin(), out.journal.end());
    return out;
  }
  Conversation c;
  Bytes log;
};

// The life of the first process: QoS 1 and 2 publishes, one acknowledged,
// one at PUBREC, a subscription, an inbound QoS 2 message awaiting PUBREL,
// then offline with one more publish queued.
StoredHost first_life() {
  StoredHost h(stored_options());
  h.keep(h.c.connect(kConnAckV5));
  h.c.publish(message("t/1", "one", QoS::AtLeastOnce));   // id 1
  h.c.publish(message("t/2", "two", QoS::ExactlyOnce));   // id 2
  h.c.publish(message("t/3", "three", QoS::AtLeastOnce)); // id 3
  h.keep(h.c.take());
  h.c.subscribe({Subscription{"cmd/#", QoS::ExactlyOnce}});  // id 4
  h.keep(h.c.take());
  Output sub = h.keep(h.c.receive({0x90, 0x04, 0x00, 0x04, 0x00, 0x02}));  // SUBACK 4: QoS 2
  EXPECT_EQ(event_names(sub), "SubscribeComplete");
  h.keep(h.c.receive({0x50, 0x02, 0x00, 0x02}));              // PUBREC 2 -> PUBREL 2
  EXPECT_EQ(event_names(h.keep(h.c.receive({0x40, 0x02, 0x00, 0x03}))), "PublishComplete");  // PUBACK 3
  Output in = h.keep(h.c.receive(inbound_qos2(9, false)));    // delivered, PUBREC 9
  EXPECT_EQ(event_names(in), "Message");
  h.keep(h.c.closed());
  h.c.publish(message("t/4", "four", QoS::AtLeastOnce));  // queued
  h.keep(h.c.take());
  return h;
}

TEST(SessionStore, NothingIsJournaledWithoutTheOption) {
  Conversation c(options_v5());
  Output out = c.connect(kConnAckV5);
  c.publish(message("t", "p", QoS::AtLeastOnce));
  out = c.take();
  EXPECT_TRUE(out.journal.empty());
  EXPECT_FALSE(out.bytes.empty());
}

TEST(SessionStore, AJournalEntryComesWithTheBytesItProtects) {
  StoredHost h(stored_options());
  h.keep(h.c.connect(kConnAckV5));
  h.c.publish(message("t", "p", QoS::AtLeastOnce));
  Output out = h.keep(h.c.take());
  EXPECT_FALSE(out.journal.empty());  // the put, in the same output as the PUBLISH
  ASSERT_EQ(packets_of(out.bytes).size(), 1u);
  // QoS 0 while connected is never kept.
  ASSERT_TRUE(h.c.session.publish(message("t", "q0", QoS::AtMostOnce), h.c.now).ok());
  EXPECT_TRUE(h.c.take().journal.empty());
}

TEST(SessionStore, ANewProcessResumesWithDupPubrelAndTheQueueInOrder) {
  StoredHost first = first_life();
  Conversation second(stored_options());
  Result<RestoreReport> report = second.session.restore(first.log, kServer);
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_EQ(report.value().outbound, 2u);  // t/1 (no PUBACK), t/2 (PUBREL due)
  EXPECT_EQ(report.value().queued, 1u);    // t/4
  EXPECT_EQ(report.value().inbound, 1u);   // id 9
  EXPECT_EQ(report.value().subscriptions, 1u);
  EXPECT_EQ(report.value().dropped_bytes, 0u);
  EXPECT_EQ(report.value().client_id, "c1");
  std::vector<const Publish*> restored = second.session.restored_publishes();
  ASSERT_EQ(restored.size(), 2u);
  EXPECT_EQ(restored[0]->topic, "t/1");
  EXPECT_EQ(restored[1]->topic, "t/4");

  second.start();
  EXPECT_EQ(second.open().bytes, connect_v5(false));
  Output resumed = second.receive(kConnAckV5Present);
  std::vector<Packet> sent = packets_of(resumed.bytes);
  ASSERT_EQ(sent.size(), 3u);
  const auto* again = std::get_if<Publish>(&sent[0]);
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->topic, "t/1");
  EXPECT_EQ(again->packet_id, 1);
  EXPECT_TRUE(again->dup);  // [MQTT-3.3.1-1]
  const auto* rel = std::get_if<PubRel>(&sent[1]);
  ASSERT_NE(rel, nullptr);
  EXPECT_EQ(rel->packet_id, 2);
  const auto* queued = std::get_if<Publish>(&sent[2]);
  ASSERT_NE(queued, nullptr);
  EXPECT_EQ(queued->topic, "t/4");
  EXPECT_FALSE(queued->dup);
  EXPECT_NE(queued->packet_id, 1);
  EXPECT_NE(queued->packet_id, 2);

  // The server resends inbound id 9: acknowledged, not delivered again.
  Output dup = second.receive(inbound_qos2(9, true));
  EXPECT_EQ(event_names(dup), "");
  ASSERT_EQ(packets_of(dup.bytes).size(), 1u);
  EXPECT_TRUE(std::holds_alternative<PubRec>(packets_of(dup.bytes)[0]));
  Output comp = second.receive({0x62, 0x02, 0x00, 0x09});  // PUBREL 9 -> PUBCOMP 9
  ASSERT_EQ(packets_of(comp.bytes).size(), 1u);
  EXPECT_TRUE(std::holds_alternative<PubComp>(packets_of(comp.bytes)[0]));

  // Completions of restored operations come as events with their new tokens.
  Output done = second.receive({0x40, 0x02, 0x00, 0x01});
  EXPECT_EQ(event_names(done), "PublishComplete");
  done = second.receive({0x70, 0x02, 0x00, 0x02});
  EXPECT_EQ(event_names(done), "PublishComplete");
}

TEST(SessionStore, WhatCompletedIsGoneFromTheStore) {
  StoredHost h(stored_options());
  h.keep(h.c.connect(kConnAckV5));
  h.c.publish(message("a", "1", QoS::AtLeastOnce));
  h.c.publish(message("b", "2", QoS::ExactlyOnce));
  h.keep(h.c.take());
  h.keep(h.c.receive({0x40, 0x02, 0x00, 0x01}));
  h.keep(h.c.receive({0x50, 0x02, 0x00, 0x02}));
  h.keep(h.c.receive({0x70, 0x02, 0x00, 0x02}));
  Conversation next(stored_options());
  Result<RestoreReport> report = next.session.restore(h.log, kServer);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report.value().outbound + report.value().queued, 0u);
  EXPECT_GT(report.value().entries, 4u);
}

TEST(SessionStore, ASnapshotDescribesTheSameState) {
  StoredHost first = first_life();
  Conversation a(stored_options());
  ASSERT_TRUE(a.session.restore(first.log, kServer).ok());
  const Bytes compacted = a.session.snapshot(kServer);
  EXPECT_LT(compacted.size(), first.log.size());
  Conversation b(stored_options());
  Result<RestoreReport> report = b.session.restore(compacted, kServer);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report.value().outbound, 2u);
  EXPECT_EQ(report.value().queued, 1u);
  EXPECT_EQ(report.value().inbound, 1u);
  EXPECT_EQ(report.value().subscriptions, 1u);
  EXPECT_EQ(b.session.snapshot(kServer), compacted);  // a fixed point
  // Appends after a snapshot continue it.
  Bytes log = compacted;
  b.start();
  b.open();
  Output out = b.receive(kConnAckV5Present);
  log.insert(log.end(), out.journal.begin(), out.journal.end());
  out = b.receive({0x40, 0x02, 0x00, 0x01});
  log.insert(log.end(), out.journal.begin(), out.journal.end());
  Conversation c(stored_options());
  report = c.session.restore(log, kServer);
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_EQ(report.value().outbound, 2u);  // t/2 at PUBREL, t/4 now in flight
  EXPECT_EQ(report.value().queued, 0u);
}

TEST(SessionStore, ATornTailIsCutOffAtEveryByte) {
  StoredHost first = first_life();
  std::size_t previous_intact = 0;
  for (std::size_t cut = 0; cut <= first.log.size(); ++cut) {
    Conversation c(stored_options());
    Result<RestoreReport> report =
        c.session.restore(std::span<const std::uint8_t>(first.log.data(), cut), kServer);
    ASSERT_TRUE(report.ok()) << "cut at " << cut << ": " << report.error().message;
    EXPECT_EQ(report.value().intact_bytes + report.value().dropped_bytes, cut);
    EXPECT_FALSE(report.value().corrupt);
    EXPECT_GE(report.value().intact_bytes, previous_intact);
    previous_intact = report.value().intact_bytes;
  }
  EXPECT_EQ(previous_intact, first.log.size());
}

TEST(SessionStore, DamageBeforeTheTailIsRefusedUnlessRecovering) {
  StoredHost first = first_life();
  Bytes log = first.log;
  // A byte inside the third entry (a put): its checksum no longer matches.
  std::size_t at = 0;
  for (int i = 0; i < 2; ++i) {
    std::uint32_t n = 0;
    std::memcpy(&n, log.data() + at, 4);
    at += 8 + n;
  }
  log[at + 10] ^= 0x40;
  Conversation refused(stored_options());
  Result<RestoreReport> report = refused.session.restore(log, kServer);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.error().kind, ErrorKind::Store);
  EXPECT_EQ(report.error().path, kStoreCorrupt);
  EXPECT_NE(report.error().message.find("byte " + std::to_string(at)), std::string::npos) << report.error().message;
  EXPECT_NE(report.error().message.find("2 entries before it are intact"), std::string::npos);

  Conversation recovered(stored_options());
  report = recovered.session.restore(log, kServer, true);
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report.value().corrupt);
  EXPECT_EQ(report.value().intact_bytes, at);
  EXPECT_EQ(report.value().entries, 2u);

  // A length no writer makes is damage too, not a torn tail.
  Bytes bad_length = first.log;
  const std::uint32_t huge = 0x7FFFFFFF;
  std::memcpy(bad_length.data() + at, &huge, 4);
  Conversation c(stored_options());
  EXPECT_FALSE(c.session.restore(bad_length, kServer).ok());
}

TEST(SessionStore, AStoreOfANewerFormatIsRefused) {
  Conversation a(stored_options());
  Bytes log = a.session.snapshot(kServer);
  // The format byte follows length (4), kind (1) and "TPGS" (4); fix the checksum.
  log[9] = kStoreFormat + 1;
  std::uint32_t n = 0;
  std::memcpy(&n, log.data(), 4);
  const std::uint32_t crc = crc32(std::span<const std::uint8_t>(log.data() + 4, n));
  std::memcpy(log.data() + 4 + n, &crc, 4);
  Conversation b(stored_options());
  Result<RestoreReport> report = b.session.restore(log, kServer);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.error().path, kStoreVersion);
  EXPECT_NE(report.error().message.find("newer tpgate"), std::string::npos);
}

TEST(SessionStore, AnotherClientsOrServersSessionIsRefused) {
  StoredHost first = first_life();
  SessionOptions other_id = stored_options();
  other_id.client_id = "c2";
  Conversation a(other_id);
  Result<RestoreReport> report = a.session.restore(first.log, kServer);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.error().path, kStoreMismatch);
  EXPECT_NE(report.error().message.find("'c1'"), std::string::npos);

  Conversation b(stored_options());
  report = b.session.restore(first.log, "mqtt://elsewhere:1883");
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.error().path, kStoreMismatch);
  EXPECT_NE(report.error().message.find("mqtt://elsewhere:1883"), std::string::npos);

  SessionOptions v311 = stored_options();
  v311.version = ProtocolVersion::v311;
  Conversation c(v311);
  report = c.session.restore(first.log, kServer);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.error().path, kStoreMismatch);
  // Nothing was taken up by a refused restore.
  EXPECT_EQ(a.session.inflight_count() + a.session.queued_count(), 0u);
}

TEST(SessionStore, NotAStoreAndRestoreAfterStartAreRefused) {
  Conversation a(stored_options());
  const Bytes junk = text_bytes("hello, this is not a store at all");
  Result<RestoreReport> report = a.session.restore(junk, kServer);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.error().path, kStoreCorrupt);
  // An empty log is an empty store.
  report = a.session.restore({}, kServer);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report.value().entries, 0u);
  a.start();
  report = a.session.restore({}, kServer);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.error().path, kStoreState);
}

TEST(SessionStore, CleanStartKeepsOnlyOutboundMessagesAndSendsThemAfresh) {
  StoredHost first = first_life();
  SessionOptions o = stored_options();
  o.clean_start = true;
  Conversation c(o);
  Result<RestoreReport> report = c.session.restore(first.log, kServer);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report.value().inbound, 0u);
  EXPECT_EQ(report.value().subscriptions, 0u);
  c.start();
  c.open();
  Output out = c.receive(kConnAckV5);
  // The message at PUBREC was the server's already [MQTT-4.3.3-8]: complete.
  EXPECT_EQ(event_names(out), "Connected PublishComplete");
  std::vector<Packet> sent = packets_of(out.bytes);
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(std::get_if<Publish>(&sent[0])->topic, "t/1");
  EXPECT_FALSE(std::get_if<Publish>(&sent[0])->dup);
  EXPECT_EQ(std::get_if<Publish>(&sent[1])->topic, "t/4");
}

TEST(SessionStore, NotesAreKeptWithTheSession) {
  StoredHost h(stored_options());
  const Bytes value = text_bytes("{\"messageId\":\"1234567\"}");
  h.c.session.note("report:1234567", value);
  h.c.session.note("report:7654321", text_bytes("x"));
  h.c.session.forget("report:7654321");
  h.keep(h.c.take());
  Conversation next(stored_options());
  Result<RestoreReport> report = next.session.restore(h.log, kServer);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report.value().notes, 1u);
  ASSERT_EQ(next.session.notes().count("report:1234567"), 1u);
  EXPECT_EQ(next.session.notes().at("report:1234567"), value);
  // And in a snapshot.
  Conversation again(stored_options());
  ASSERT_TRUE(again.session.restore(next.session.snapshot(kServer), kServer).ok());
  EXPECT_EQ(again.session.notes().size(), 1u);
}

// Found by fuzz_session_store: entries no writer makes are refused, and a
// snapshot always restores.
TEST(SessionStore, EntriesNoWriterMakesAreRefused) {
  Conversation a(stored_options());
  const Bytes header = a.session.snapshot(kServer);
  // A QoS 0 publish in flight under a packet id.
  Bytes log = header;
  JournalWriter w(log);
  w.begin(StoreEntry::Put).u64(1).u16(7).u8(0);
  const Publish qos0 = message("t", "p", QoS::AtMostOnce);
  ASSERT_TRUE(encode_publish(view_of(qos0), EncodeOptions{ProtocolVersion::v5, 0}, log).ok());
  w.end();
  Conversation b(stored_options());
  Result<RestoreReport> report = b.session.restore(log, kServer);
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.error().message.find("QoS 0 message in flight"), std::string::npos);

  // A client id entry where one was configured: the configured one names the session.
  Bytes assigned = header;
  JournalWriter(assigned).begin(StoreEntry::ClientId).string("server-made").end();
  Conversation c(stored_options());
  ASSERT_TRUE(c.session.restore(assigned, kServer).ok());
  Conversation d(stored_options());
  EXPECT_TRUE(d.session.restore(c.session.snapshot(kServer), kServer).ok());
}

TEST(SessionStore, CrcIsTheIeeeOne) {
  EXPECT_EQ(crc32(text_bytes("123456789")), 0xCBF43926u);
  EXPECT_EQ(crc32({}), 0u);
}

}  // namespace
}  // namespace tpgate::mqtt::test
