// ClientSession and its store: the journal entries written as the state
// changes, the snapshot a store compacts to, and restore() reading a log
// back (mqtt/session_store.hpp describes the layout).
#include "mqtt/session_store.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "mqtt/session_impl.hpp"

namespace tpgate::mqtt {

namespace {

constexpr std::uint8_t kReleasedFlag = 1;
constexpr std::array<std::uint8_t, 4> kMagic = {'T', 'P', 'G', 'S'};
// An entry's body: a PUBLISH of the protocol's maximum size and its fields.
constexpr std::uint32_t kMaxEntry = 268'435'455U + 5U + 64U;

std::array<std::uint32_t, 256> make_crc_table() {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1U) != 0 ? 0xEDB88320U ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
  return table;
}

Error store_error(std::string_view why, std::string message) {
  Error error = make_error(ReasonCode::UnspecifiedError, std::move(message));
  error.kind = ErrorKind::Store;
  error.path = std::string(why);
  return error;
}

// Reads the fields of one entry's body; any read past the end marks it bad.
class FieldReader {
 public:
  explicit FieldReader(std::span<const std::uint8_t> body) : body_(body) {}
  bool ok() const { return ok_; }
  bool at_end() const { return at_ == body_.size(); }
  template <class T>
  T number() {
    T value{};
    if (!take(sizeof(T))) return value;
    std::memcpy(&value, body_.data() + at_ - sizeof(T), sizeof(T));  // little endian hosts only (wasm, x86, arm)
    return value;
  }
  std::string string() {
    const auto n = number<std::uint32_t>();
    if (!take(n)) return {};
    return std::string(reinterpret_cast<const char*>(body_.data() + at_ - n), n);
  }
  std::span<const std::uint8_t> rest() {
    std::span<const std::uint8_t> r = body_.subspan(at_);
    at_ = body_.size();
    return r;
  }

 private:
  bool take(std::size_t n) {
    if (!ok_ || body_.size() - at_ < n) {
      ok_ = false;
      return false;
    }
    at_ += n;
    return true;
  }
  std::span<const std::uint8_t> body_;
  std::size_t at_ = 0;
  bool ok_ = true;
};

std::uint8_t options_byte(const Subscription& s) {
  return static_cast<std::uint8_t>(static_cast<std::uint8_t>(s.qos) | (s.no_local ? 4U : 0U) |
                                   (s.retain_as_published ? 8U : 0U) | ((s.retain_handling & 3U) << 4));
}

Subscription subscription_of(std::string filter, std::uint8_t options) {
  Subscription s;
  s.filter = std::move(filter);
  s.qos = static_cast<QoS>(std::min<std::uint8_t>(options & 3U, 2));
  s.no_local = (options & 4U) != 0;
  s.retain_as_published = (options & 8U) != 0;
  s.retain_handling = static_cast<std::uint8_t>((options >> 4) & 3U);
  return s;
}

// One operation as the log describes it, until restore() places it.
struct StagedOperation {
  std::variant<Publish, Subscribe, Unsubscribe> packet;
  std::uint16_t packet_id = 0;
  bool released = false;
};

}  // namespace

std::uint32_t crc32(std::span<const std::uint8_t> bytes) {
  static const std::array<std::uint32_t, 256> table = make_crc_table();
  std::uint32_t c = 0xFFFFFFFFU;
  for (std::uint8_t b : bytes) c = table[(c ^ b) & 0xFFU] ^ (c >> 8);
  return c ^ 0xFFFFFFFFU;
}

JournalWriter& JournalWriter::begin(StoreEntry kind) {
  start_ = out_.size();
  u32(0);  // the length, filled in by end()
  return u8(static_cast<std::uint8_t>(kind));
}
JournalWriter& JournalWriter::u8(std::uint8_t v) {
  out_.push_back(v);
  return *this;
}
JournalWriter& JournalWriter::u16(std::uint16_t v) {
  const std::size_t at = out_.size();
  out_.resize(at + 2);
  std::memcpy(out_.data() + at, &v, 2);
  return *this;
}
JournalWriter& JournalWriter::u32(std::uint32_t v) {
  const std::size_t at = out_.size();
  out_.resize(at + 4);
  std::memcpy(out_.data() + at, &v, 4);
  return *this;
}
JournalWriter& JournalWriter::u64(std::uint64_t v) {
  const std::size_t at = out_.size();
  out_.resize(at + 8);
  std::memcpy(out_.data() + at, &v, 8);
  return *this;
}
JournalWriter& JournalWriter::string(std::string_view s) {
  u32(static_cast<std::uint32_t>(s.size()));
  out_.insert(out_.end(), s.begin(), s.end());
  return *this;
}
JournalWriter& JournalWriter::raw(std::span<const std::uint8_t> bytes) {
  out_.insert(out_.end(), bytes.begin(), bytes.end());
  return *this;
}
void JournalWriter::end() {
  const auto length = static_cast<std::uint32_t>(out_.size() - start_ - 4);
  std::memcpy(out_.data() + start_, &length, 4);
  u32(crc32(std::span<const std::uint8_t>(out_).subspan(start_ + 4, length)));
}

// --- journal entries ----------------------------------------------------------

void ClientSession::Impl::write_put(Bytes& into, const Operation& op, std::uint16_t id) const {
  JournalWriter w(into);
  w.begin(StoreEntry::Put).u64(op.order).u16(id).u8(op.released ? kReleasedFlag : 0);
  if (!op.released) {
    // The packet in its wire form, with a placeholder identifier while queued
    // (the entry's own field is the one that counts). Whatever the session
    // keeps was encoded once already, so this cannot fail.
    EncodeOptions plain{options().version, 0};
    if (const auto* publish = std::get_if<Publish>(&op.packet)) {
      PublishView view = view_of(*publish);
      view.dup = false;
      view.topic_alias = 0;
      if (view.qos != QoS::AtMostOnce && view.packet_id == 0) view.packet_id = 1;
      (void)encode_publish(view, plain, into);
    } else if (const auto* subscribe = std::get_if<Subscribe>(&op.packet)) {
      Subscribe copy = *subscribe;
      if (copy.packet_id == 0) copy.packet_id = 1;
      (void)encode(Packet{std::move(copy)}, plain, into);
    } else if (const auto* unsubscribe = std::get_if<Unsubscribe>(&op.packet)) {
      Unsubscribe copy = *unsubscribe;
      if (copy.packet_id == 0) copy.packet_id = 1;
      (void)encode(Packet{std::move(copy)}, plain, into);
    }
  }
  w.end();
}

void ClientSession::Impl::journal_placed(Operation& op, std::uint16_t id) {
  if (!journaling() || op.token == 0) return;
  if (!op.journaled) {
    write_put(out.journal, op, id);
    op.journaled = true;
    return;
  }
  JournalWriter(out.journal).begin(StoreEntry::Move).u64(op.order).u16(id).end();
}

void ClientSession::Impl::journal_order(StoreEntry kind, Operation& op) {
  if (!journaling() || !op.journaled) return;
  JournalWriter(out.journal).begin(kind).u64(op.order).end();
  if (kind == StoreEntry::Done) op.journaled = false;
}

void ClientSession::Impl::journal_inbound(std::uint16_t packet_id, std::uint64_t fingerprint) {
  if (journaling()) JournalWriter(out.journal).begin(StoreEntry::Inbound).u16(packet_id).u64(fingerprint).end();
}

void ClientSession::Impl::journal_completed(std::uint16_t packet_id) {
  if (journaling()) JournalWriter(out.journal).begin(StoreEntry::Completed).u16(packet_id).end();
}

void ClientSession::Impl::journal_cleared() {
  if (journaling()) JournalWriter(out.journal).begin(StoreEntry::Cleared).end();
}

void ClientSession::Impl::journal_granted(const GrantedSubscription& g) {
  if (!journaling()) return;
  JournalWriter(out.journal)
      .begin(StoreEntry::Granted)
      .string(g.subscription.filter)
      .u8(options_byte(g.subscription))
      .u32(g.subscription_identifier)
      .end();
}

void ClientSession::Impl::journal_ungranted(const std::string& filter) {
  if (journaling()) JournalWriter(out.journal).begin(StoreEntry::Ungranted).string(filter).end();
}

void ClientSession::Impl::journal_client_id(const std::string& id) {
  if (journaling()) JournalWriter(out.journal).begin(StoreEntry::ClientId).string(id).end();
}

// --- snapshot -----------------------------------------------------------------

Bytes ClientSession::Impl::snapshot(std::string_view server_name) const {
  Bytes log;
  JournalWriter w(log);
  w.begin(StoreEntry::Header)
      .raw(kMagic)
      .u8(kStoreFormat)
      .u8(static_cast<std::uint8_t>(options().version))
      // The configured identifier names the session; one the server assigned
      // only when none was configured (3.2.2.3.7).
      .string(options().client_id.empty() ? client_id : options().client_id)
      .string(server_name)
      .u32(options().connect_properties.session_expiry_interval.value_or(0))
      .end();
  // Operations in call order, so that a restore queues them as they were.
  std::vector<std::pair<std::uint16_t, const Operation*>> ops;
  for (const auto& [id, op] : inflight) {
    if (op.token != 0) ops.emplace_back(id, &op);
  }
  for (const Operation& op : queue) {
    if (op.token != 0) ops.emplace_back(0, &op);
  }
  std::sort(ops.begin(), ops.end(), [](const auto& a, const auto& b) { return a.second->order < b.second->order; });
  for (const auto& [id, op] : ops) write_put(log, *op, id);
  // The completed window oldest first, then what awaits PUBREL.
  for (const InboundQoS2& m : completed_qos2) {
    w.begin(StoreEntry::Inbound).u16(m.packet_id).u64(m.fingerprint).end();
    w.begin(StoreEntry::Completed).u16(m.packet_id).end();
  }
  for (const InboundQoS2& m : inbound_qos2) w.begin(StoreEntry::Inbound).u16(m.packet_id).u64(m.fingerprint).end();
  for (const auto& entry : granted) {
    const GrantedSubscription& g = entry.second;
    w.begin(StoreEntry::Granted)
        .string(g.subscription.filter)
        .u8(options_byte(g.subscription))
        .u32(g.subscription_identifier)
        .end();
  }
  for (const auto& [key, value] : notes) w.begin(StoreEntry::Note).string(key).u32(static_cast<std::uint32_t>(value.size())).raw(value).end();
  return log;
}

// --- restore ------------------------------------------------------------------

Result<RestoreReport> ClientSession::Impl::restore(std::span<const std::uint8_t> log, std::string_view server_name,
                                                   bool recover) {
  if (state() != SessionState::Idle) {
    return store_error(kStoreState, "restore() is for a session that has not started: call it before start()");
  }
  RestoreReport report;
  std::map<std::uint64_t, StagedOperation> staged;  // by order
  std::vector<InboundQoS2> inbound;
  std::deque<InboundQoS2> completed;
  std::map<std::string, GrantedSubscription> subscriptions;
  std::map<std::string, Bytes, std::less<>> kept_notes;
  std::optional<std::string> assigned_id;
  bool have_header = false;

  DecoderOptions decoder_options;
  decoder_options.version = options().version;
  decoder_options.role = Role::Any;
  Decoder packet_decoder(decoder_options);

  // Damage at `offset`: a torn tail is cut off, anything before it refused
  // unless `recover`.
  std::size_t offset = 0;
  auto damaged = [&](std::string what, bool tail) -> std::optional<Error> {
    report.intact_bytes = offset;
    report.dropped_bytes = log.size() - offset;
    if (tail) return std::nullopt;
    if (offset == 0) {
      return store_error(kStoreCorrupt, "this is not a tpgate session store: it does not start with a header (" +
                                            what + ")");
    }
    if (recover) {
      report.corrupt = true;
      return std::nullopt;
    }
    return store_error(kStoreCorrupt, "the store is damaged at byte " + std::to_string(offset) + " of " +
                                          std::to_string(log.size()) + " (" + what + "); the " +
                                          std::to_string(report.entries) +
                                          " entries before it are intact: open it with recovery to keep "
                                          "them and drop the rest, or start with an empty store");
  };

  while (offset < log.size()) {
    const std::size_t left = log.size() - offset;
    if (left < 4) {
      if (auto e = damaged("a torn entry", true)) return *e;
      break;
    }
    std::uint32_t length = 0;
    std::memcpy(&length, log.data() + offset, 4);
    if (length == 0 || length > kMaxEntry) {
      // A length no writer makes: damage, torn or not.
      if (auto e = damaged("an entry length of " + std::to_string(length), false)) return *e;
      break;
    }
    if (left < 8ULL + length) {
      if (auto e = damaged("a torn entry", true)) return *e;
      break;
    }
    std::span<const std::uint8_t> body = log.subspan(offset + 4, length);
    std::uint32_t stored_crc = 0;
    std::memcpy(&stored_crc, log.data() + offset + 4 + length, 4);
    const bool last = left == 8ULL + length;
    if (crc32(body) != stored_crc) {
      // The last entry with a bad checksum is one whose write did not finish.
      if (auto e = damaged("a checksum mismatch", last)) return *e;
      break;
    }

    FieldReader r(body);
    const auto kind = static_cast<StoreEntry>(r.number<std::uint8_t>());
    std::string problem;
    if (!have_header && kind != StoreEntry::Header) {
      return store_error(kStoreCorrupt, "this is not a tpgate session store: it does not start with a header");
    }
    switch (kind) {
      case StoreEntry::Header: {
        std::array<std::uint8_t, 4> magic{};
        for (auto& b : magic) b = r.number<std::uint8_t>();
        const auto format = r.number<std::uint8_t>();
        if (!r.ok() || magic != kMagic) {
          return store_error(kStoreCorrupt, "this is not a tpgate session store (no TPGS header)");
        }
        if (format > kStoreFormat) {
          return store_error(kStoreVersion, "the store was written by a newer tpgate (store format " +
                                                std::to_string(format) + "; this one reads format " +
                                                std::to_string(kStoreFormat) +
                                                "): upgrade tpgate, or start with an empty store");
        }
        const auto version = r.number<std::uint8_t>();
        std::string id = r.string();
        std::string from = r.string();
        const auto expiry = r.number<std::uint32_t>();
        if (!r.ok()) {
          problem = "a short header";
          break;
        }
        if (version != static_cast<std::uint8_t>(options().version)) {
          return store_error(kStoreMismatch, "the store holds an MQTT " + std::string(version == 5 ? "5" : "3.1.1") +
                                                 " session; this client speaks MQTT " +
                                                 std::string(v5() ? "5" : "3.1.1") +
                                                 ": use the same protocolVersion, or another store");
        }
        if (id != options().client_id && !(options().client_id.empty())) {
          return store_error(kStoreMismatch, "the store holds the session of client id '" + id +
                                                 "', not '" + options().client_id +
                                                 "': use that client id, or a store of its own for this one");
        }
        if (from != server_name) {
          return store_error(kStoreMismatch, "the store holds a session with " + from + ", not " +
                                                 std::string(server_name) +
                                                 ": a session lives on one server; use a store per server");
        }
        if (have_header) {
          // A later snapshot written over the same log: start over from it.
          staged.clear();
          inbound.clear();
          completed.clear();
          subscriptions.clear();
          kept_notes.clear();
          assigned_id.reset();
        }
        have_header = true;
        report.client_id = id;
        report.server = from;
        report.session_expiry = expiry;
        if (options().client_id.empty()) assigned_id = id;
        break;
      }
      case StoreEntry::Put: {
        const auto order = r.number<std::uint64_t>();
        const auto id = r.number<std::uint16_t>();
        const auto flags = r.number<std::uint8_t>();
        if (!r.ok() || order == 0 || staged.count(order) != 0) {
          problem = "a put entry that repeats or lacks its order";
          break;
        }
        StagedOperation op;
        op.packet_id = id;
        op.released = (flags & kReleasedFlag) != 0;
        if (op.released) {
          Publish p;
          p.qos = QoS::ExactlyOnce;
          p.packet_id = id;
          op.packet = std::move(p);
          if (id == 0 || !r.at_end()) problem = "a released message without its packet id";
        } else {
          packet_decoder.reset();
          packet_decoder.feed(r.rest());
          Packet packet;
          Error error;
          if (packet_decoder.next(packet, error) != Decoder::Status::Packet) {
            problem = "a stored packet that does not decode: " + error.message;
            break;
          }
          if (auto* p = std::get_if<Publish>(&packet)) {
            p->packet_id = id;
            p->dup = false;
            op.packet = std::move(*p);
          } else if (auto* s = std::get_if<Subscribe>(&packet)) {
            s->packet_id = id;
            op.packet = std::move(*s);
          } else if (auto* u = std::get_if<Unsubscribe>(&packet)) {
            u->packet_id = id;
            op.packet = std::move(*u);
          } else {
            problem = "a stored packet that is no PUBLISH, SUBSCRIBE or UNSUBSCRIBE";
            break;
          }
        }
        staged.emplace(order, std::move(op));
        break;
      }
      case StoreEntry::Move:
      case StoreEntry::Released:
      case StoreEntry::Done: {
        const auto order = r.number<std::uint64_t>();
        const std::uint16_t id = kind == StoreEntry::Move ? r.number<std::uint16_t>() : std::uint16_t{0};
        auto it = staged.find(order);
        if (!r.ok() || it == staged.end()) {
          problem = "an entry for an operation the store does not hold";
          break;
        }
        if (kind == StoreEntry::Done) {
          staged.erase(it);
        } else if (kind == StoreEntry::Move) {
          it->second.packet_id = id;
          if (auto* p = std::get_if<Publish>(&it->second.packet)) p->packet_id = id;
        } else {
          auto* p = std::get_if<Publish>(&it->second.packet);
          if (p == nullptr || p->qos != QoS::ExactlyOnce || it->second.packet_id == 0) {
            problem = "a release of something that is no QoS 2 message in flight";
            break;
          }
          it->second.released = true;
          p->topic.clear();
          p->payload.clear();
          p->properties = Properties{};
        }
        break;
      }
      case StoreEntry::Inbound: {
        InboundQoS2 m{r.number<std::uint16_t>(), 0};
        m.fingerprint = r.number<std::uint64_t>();
        if (!r.ok() || m.packet_id == 0) {
          problem = "a short inbound entry";
          break;
        }
        auto pos = std::lower_bound(inbound.begin(), inbound.end(), m.packet_id,
                                    [](const InboundQoS2& a, std::uint16_t key) { return a.packet_id < key; });
        if (pos != inbound.end() && pos->packet_id == m.packet_id) {
          *pos = m;
        } else {
          inbound.insert(pos, m);
        }
        break;
      }
      case StoreEntry::Completed: {
        const auto id = r.number<std::uint16_t>();
        auto pos = std::find_if(inbound.begin(), inbound.end(), [id](const InboundQoS2& m) { return m.packet_id == id; });
        if (!r.ok() || pos == inbound.end()) {
          problem = "a completion of an inbound message the store does not hold";
          break;
        }
        if (options().inbound_qos2_window > 0) {
          if (completed.size() >= options().inbound_qos2_window) completed.pop_front();
          completed.push_back(*pos);
        }
        inbound.erase(pos);
        break;
      }
      case StoreEntry::Cleared:
        inbound.clear();
        break;
      case StoreEntry::Granted: {
        std::string filter = r.string();
        const auto options_bits = r.number<std::uint8_t>();
        const auto identifier = r.number<std::uint32_t>();
        if (!r.ok() || filter.empty()) {
          problem = "a short subscription entry";
          break;
        }
        GrantedSubscription g{subscription_of(filter, options_bits), identifier};
        subscriptions[filter] = std::move(g);
        break;
      }
      case StoreEntry::Ungranted:
        subscriptions.erase(r.string());
        break;
      case StoreEntry::ClientId:
        assigned_id = r.string();
        break;
      case StoreEntry::Note: {
        std::string key = r.string();
        const auto n = r.number<std::uint32_t>();
        std::span<const std::uint8_t> value = r.rest();
        if (!r.ok() || value.size() != n) {
          problem = "a short note";
          break;
        }
        kept_notes[std::move(key)] = Bytes(value.begin(), value.end());
        break;
      }
      case StoreEntry::Forget:
        kept_notes.erase(r.string());
        break;
      default:
        problem = "an entry of unknown kind " + std::to_string(static_cast<int>(kind));
        break;
    }
    if (problem.empty() && (!r.ok() || !r.at_end())) problem = "an entry of the wrong length";
    if (!problem.empty()) {
      if (auto e = damaged(problem, false)) return *e;
      break;
    }
    offset += 8 + length;
    ++report.entries;
    report.intact_bytes = offset;
  }

  // Two operations in flight under one identifier, a QoS 0 message with one,
  // a packet the session could not send: no writer makes those.
  std::map<std::uint16_t, std::uint64_t> ids;
  const EncodeOptions plain{options().version, 0};
  for (const auto& [order, op] : staged) {
    if (op.packet_id != 0 && !ids.emplace(op.packet_id, order).second) {
      return store_error(kStoreCorrupt, "the store has two operations in flight under packet id " +
                                            std::to_string(op.packet_id));
    }
    const auto* publish = std::get_if<Publish>(&op.packet);
    if (publish != nullptr && publish->qos == QoS::AtMostOnce && op.packet_id != 0) {
      return store_error(kStoreCorrupt, "the store has a QoS 0 message in flight (packet id " +
                                            std::to_string(op.packet_id) + ")");
    }
    if (op.released) {
      if (op.packet_id == 0) return store_error(kStoreCorrupt, "the store has a released QoS 2 message without a packet id");
      continue;
    }
    Status sendable = ok_status();
    if (publish != nullptr) {
      PublishView view = view_of(*publish);
      if (view.qos != QoS::AtMostOnce && view.packet_id == 0) view.packet_id = 1;
      Result<PublishPlan> planned = plan_publish(view, plain);
      if (!planned) sendable = planned.error();
    } else {
      Packet copy;
      if (const auto* subscribe = std::get_if<Subscribe>(&op.packet)) {
        Subscribe s = *subscribe;
        if (s.packet_id == 0) s.packet_id = 1;
        copy = std::move(s);
      } else if (const auto* unsubscribe = std::get_if<Unsubscribe>(&op.packet)) {
        Unsubscribe u = *unsubscribe;
        if (u.packet_id == 0) u.packet_id = 1;
        copy = std::move(u);
      }
      Result<std::size_t> size = encoded_size(copy, plain);
      if (!size) sendable = size.error();
    }
    if (!sendable) {
      return store_error(kStoreCorrupt, "the store holds a packet that cannot be sent (" + sendable.error().message + ")");
    }
  }

  // Take it up.
  for (auto& [order, s] : staged) {
    Operation op{new_token(), order, std::move(s.packet), s.released};
    op.journaled = journaling();
    op.restored = true;
    last_order = std::max(last_order, order);
    if (s.packet_id != 0) {
      if (std::holds_alternative<Publish>(op.packet)) ++inflight_publishes;
      inflight.emplace(s.packet_id, std::move(op));
      ++report.outbound;
    } else {
      // In call order already (staged is sorted by it).
      if (!is_throttled(op)) ++queued_unthrottled;
      op.queued_cost = queued_cost(op);
      queued_bytes += op.queued_cost;
      queue.push_back(std::move(op));
      ++report.queued;
    }
  }
  if (!clean_start) {
    // A clean start finds no session on the server: its inbound state and
    // subscriptions would be stale.
    inbound_qos2 = std::move(inbound);
    completed_qos2 = std::move(completed);
    granted = std::move(subscriptions);
  }
  if (assigned_id && !assigned_id->empty() && options().client_id.empty()) client_id = *assigned_id;
  if (journaling()) notes = std::move(kept_notes);
  report.inbound = inbound_qos2.size();
  report.subscriptions = granted.size();
  report.notes = notes.size();
  return report;
}

// --- ClientSession ------------------------------------------------------------

Result<RestoreReport> ClientSession::restore(std::span<const std::uint8_t> log, std::string_view server, bool recover) {
  return impl_->restore(log, server, recover);
}

Bytes ClientSession::snapshot(std::string_view server) const { return impl_->snapshot(server); }

void ClientSession::note(std::string_view key, std::span<const std::uint8_t> value) {
  if (!impl_->journaling()) return;
  JournalWriter(impl_->out.journal)
      .begin(StoreEntry::Note)
      .string(key)
      .u32(static_cast<std::uint32_t>(value.size()))
      .raw(value)
      .end();
  impl_->notes[std::string(key)] = Bytes(value.begin(), value.end());
}

void ClientSession::forget(std::string_view key) {
  auto it = impl_->notes.find(key);
  if (it == impl_->notes.end()) return;
  impl_->notes.erase(it);
  JournalWriter(impl_->out.journal).begin(StoreEntry::Forget).string(key).end();
}

const std::map<std::string, Bytes, std::less<>>& ClientSession::notes() const { return impl_->notes; }

std::vector<const Publish*> ClientSession::restored_publishes() const {
  std::vector<const Operation*> ops;
  for (const auto& entry : impl_->inflight) {
    if (entry.second.restored && !entry.second.released) ops.push_back(&entry.second);
  }
  for (const Operation& op : impl_->queue) {
    if (op.restored) ops.push_back(&op);
  }
  std::sort(ops.begin(), ops.end(), [](const Operation* a, const Operation* b) { return a->order < b->order; });
  std::vector<const Publish*> publishes;
  for (const Operation* op : ops) {
    if (const auto* p = std::get_if<Publish>(&op->packet)) publishes.push_back(p);
  }
  return publishes;
}

}  // namespace tpgate::mqtt
