// The journal a ClientSession writes for a session store, and reads back.
//
// With SessionOptions::journal on, every change to the state that must
// survive a restart of the client (outbound QoS 1/2 messages and their packet
// identifiers and QoS 2 stage, the offline queue, inbound QoS 2 identifiers
// awaiting PUBREL and the completed window, granted subscriptions, an
// assigned client identifier) is appended to Output::journal as it happens,
// in the same call that produces the bytes it protects. The host appends the
// journal to its store before it writes those bytes (write-through): nothing
// the server has seen is ever missing from the store, and an entry torn by a
// crash protects bytes that never left.
//
// A store holds one log: a snapshot (ClientSession::snapshot(), starting with
// a header) followed by appended journals. ClientSession::restore() reads it.
//
// Log layout, little endian. Each entry:
//   u32 n (length of the body), body (n bytes: u8 kind, fields), u32 CRC-32
//   (IEEE, of the body).
// Strings are u32 length + bytes. Kinds and their fields:
//   1 header     "TPGS", u8 format (kStoreFormat), u8 protocol version (4, 5),
//                string client id, string server, u32 session expiry (s)
//   2 put        u64 order, u16 packet id (0: queued), u8 flags (1 PUBREC
//                seen: a QoS 2 publish whose body is gone), then unless
//                released the packet (PUBLISH, SUBSCRIBE, UNSUBSCRIBE) in the
//                protocol version's wire encoding
//   3 move       u64 order, u16 packet id (sent with this id; 0: back in the queue)
//   4 released   u64 order (PUBREC received, PUBREL due)
//   5 done       u64 order (completed or refused: gone)
//   6 inbound    u16 packet id, u64 fingerprint (QoS 2 received, PUBREC sent)
//   7 completed  u16 packet id (PUBREL received: into the completed window)
//   8 cleared    (the server has no session: inbound state gone)
//   9 granted    string filter, u8 subscription options byte, u32 identifier
//  10 ungranted  string filter
//  11 client id  string (the server's Assigned Client Identifier)
//  12 note       string key, bytes (u32 length + bytes): the host's own record
//  13 forget     string key
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "mqtt/types.hpp"

namespace tpgate::mqtt {

inline constexpr std::uint8_t kStoreFormat = 1;

enum class StoreEntry : std::uint8_t {
  Header = 1,
  Put = 2,
  Move = 3,
  Released = 4,
  Done = 5,
  Inbound = 6,
  Completed = 7,
  Cleared = 8,
  Granted = 9,
  Ungranted = 10,
  ClientId = 11,
  Note = 12,
  Forget = 13,
};

// CRC-32 (IEEE 802.3, reflected, as zlib's crc32()).
std::uint32_t crc32(std::span<const std::uint8_t> bytes);

// Appends entries to a journal: begin(kind), fields, end() (which fills in the
// length and the checksum).
class JournalWriter {
 public:
  explicit JournalWriter(Bytes& out) : out_(out) {}
  JournalWriter& begin(StoreEntry kind);
  JournalWriter& u8(std::uint8_t v);
  JournalWriter& u16(std::uint16_t v);
  JournalWriter& u32(std::uint32_t v);
  JournalWriter& u64(std::uint64_t v);
  JournalWriter& string(std::string_view s);
  JournalWriter& raw(std::span<const std::uint8_t> bytes);
  void end();

 private:
  Bytes& out_;
  std::size_t start_ = 0;
};

// What restore() found, for the host to report.
struct RestoreReport {
  std::size_t intact_bytes = 0;   // the log up to the end of its last intact entry
  std::size_t dropped_bytes = 0;  // after it: a torn tail (or, with recover, corruption)
  bool corrupt = false;           // dropped_bytes include a damaged entry before the tail (recover only)
  std::size_t entries = 0;
  std::size_t outbound = 0;       // publishes/subscribes/unsubscribes in flight (with a packet id)
  std::size_t queued = 0;         // waiting for a connection
  std::size_t inbound = 0;        // QoS 2 identifiers awaiting PUBREL
  std::size_t subscriptions = 0;
  std::size_t notes = 0;
  std::uint32_t session_expiry = 0;
  std::string client_id;          // of the header (empty: none, the log was empty)
  std::string server;
};

// Error paths of ErrorKind::Store failures, for the host's error codes.
inline constexpr std::string_view kStoreCorrupt = "corrupt";
inline constexpr std::string_view kStoreVersion = "version";
inline constexpr std::string_view kStoreMismatch = "mismatch";
inline constexpr std::string_view kStoreState = "state";

}  // namespace tpgate::mqtt
