// Pairs requests with their answers by message_id, with timeouts on the
// caller's clock (no clock is read here; every call takes `now_ms`).
//
// What waits for what:
//   gateway:  attribute report -> attribute ack, event report -> event ack
//             (an ack of either family, docs/thingspanel.md#ack-topics)
//   platform: attribute set -> attribute set response, command -> command response
// Control has no answer, and an attribute get is answered by an attribute
// report with a new message_id (docs/thingspanel.md#attribute-get-shape), so neither is correlated here.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gateway/topics.hpp"
#include "mqtt/types.hpp"

namespace tpgate::gateway {

enum class RequestKind : std::uint8_t { AttributeReport, EventReport, AttributeSet, Command };

std::string_view request_kind_name(RequestKind kind);

// The request an incoming topic answers: AttributeAck (either family) ->
// AttributeReport, EventAck -> EventReport, AttributeSetResponse ->
// AttributeSet, CommandResponse -> Command; nullopt for other kinds.
std::optional<RequestKind> request_answered_by(TopicKind kind);

// The caller's handle for a request (a JS promise id, ...).
using RequestToken = std::uint64_t;

struct Resolved {
  RequestToken token = 0;
  std::int64_t rtt_ms = 0;  // now at resolve - now at add
};

// Why an answer matched nothing. Late and Duplicate are told apart from
// Unknown through a short memory of recently finished requests.
enum class Unmatched : std::uint8_t {
  Unknown,    // no such request was made (or it finished too long ago to remember)
  Late,       // the request had already timed out
  Duplicate,  // the request had already been answered
};

struct Resolution {
  std::optional<Resolved> resolved;  // set when the answer matched a pending request
  Unmatched unmatched = Unmatched::Unknown;  // why not, when `resolved` is empty
  std::string problem;  // "late event ack for message_id 1234567 (timed out)" when unmatched
  bool matched() const { return resolved.has_value(); }
};

class Correlator {
 public:
  // Finished requests remembered to tell Late and Duplicate from Unknown.
  static constexpr std::size_t kRecentLimit = 64;

  // Registers a request sent at `now_ms`, timing out at now_ms + timeout_ms.
  // Fails (reason PacketIdentifierInUse) if the same (kind, message_id) is
  // still pending: the message_id would not identify the answer.
  mqtt::Status add(RequestKind kind, std::string message_id, RequestToken token, std::int64_t now_ms,
                   std::int64_t timeout_ms);

  // An answer arrived at `now_ms`. A late or duplicate answer is reported in
  // the Resolution, never an error that stops the session.
  Resolution resolve(RequestKind kind, std::string_view message_id, std::int64_t now_ms);
  // The same from a parsed topic; a topic that answers nothing is Unknown.
  Resolution resolve(const TopicInfo& topic, std::int64_t now_ms);

  // Removes and returns, oldest deadline first, every request whose deadline
  // is <= now_ms (the caller rejects them with a timeout error).
  std::vector<RequestToken> expire(std::int64_t now_ms);

  // The earliest pending deadline, for the host's timer; nullopt when idle.
  std::optional<std::int64_t> next_deadline() const;

  // Forgets a request (the caller gave up); false if it was not pending.
  bool cancel(RequestKind kind, std::string_view message_id);
  // Removes every pending request and returns their tokens (session closed).
  std::vector<RequestToken> take_all();

  std::size_t pending_count() const { return pending_.size(); }

 private:
  using Key = std::pair<RequestKind, std::string>;
  struct Pending {
    RequestToken token;
    std::int64_t sent_ms;
    std::int64_t deadline_ms;
  };
  struct Finished {
    Key key;
    Unmatched how;
  };

  void remember(Key key, Unmatched how);

  std::map<Key, Pending> pending_;
  // A ring of at most kRecentLimit, oldest at recent_head_ once full. Not a std::deque:
  // libc++'s allocates a 4 KB block for its first element, which a fleet of thousands
  // of gateways (one Correlator each) in one wasm module pays per gateway.
  std::vector<Finished> recent_;
  std::size_t recent_head_ = 0;
};

}  // namespace tpgate::gateway
