#include "gateway/correlator.hpp"

#include <algorithm>

namespace tpgate::gateway {

std::string_view request_kind_name(RequestKind kind) {
  switch (kind) {
    case RequestKind::AttributeReport: return "attribute report";
    case RequestKind::EventReport: return "event report";
    case RequestKind::AttributeSet: return "attribute set";
    case RequestKind::Command: return "command";
  }
  return "request";
}

std::optional<RequestKind> request_answered_by(TopicKind kind) {
  switch (kind) {
    // docs/thingspanel.md#ack-topics: the ack family is not part of the key, so an ack on
    // `gateway/...` and one on `devices/...` resolve the same report.
    case TopicKind::AttributeAck: return RequestKind::AttributeReport;
    case TopicKind::EventAck: return RequestKind::EventReport;
    case TopicKind::AttributeSetResponse: return RequestKind::AttributeSet;
    case TopicKind::CommandResponse: return RequestKind::Command;
    default: return std::nullopt;
  }
}

mqtt::Status Correlator::add(RequestKind kind, std::string message_id, RequestToken token, std::int64_t now_ms,
                             std::int64_t timeout_ms) {
  Key key{kind, std::move(message_id)};
  if (pending_.count(key) != 0) {
    return mqtt::make_error(mqtt::ReasonCode::PacketIdentifierInUse,
                            std::string(request_kind_name(kind)) + " with message_id " + key.second +
                                " is already pending");
  }
  pending_.emplace(std::move(key), Pending{token, now_ms, now_ms + std::max<std::int64_t>(timeout_ms, 0)});
  return mqtt::ok_status();
}

void Correlator::remember(Key key, Unmatched how) {
  if (recent_.size() < kRecentLimit) {
    recent_.push_back(Finished{std::move(key), how});
    return;
  }
  recent_[recent_head_] = Finished{std::move(key), how};  // overwrites the oldest
  recent_head_ = (recent_head_ + 1) % kRecentLimit;
}

Resolution Correlator::resolve(RequestKind kind, std::string_view message_id, std::int64_t now_ms) {
  Resolution out;
  Key key{kind, std::string(message_id)};
  if (auto it = pending_.find(key); it != pending_.end()) {
    out.resolved = Resolved{it->second.token, now_ms - it->second.sent_ms};
    pending_.erase(it);
    remember(std::move(key), Unmatched::Duplicate);
    return out;
  }
  // Newest first: the latest thing that happened to this key explains the answer.
  out.unmatched = Unmatched::Unknown;
  for (std::size_t n = recent_.size(); n > 0; --n) {
    const Finished& f = recent_[(recent_head_ + n - 1) % recent_.size()];
    if (f.key == key) {
      out.unmatched = f.how;
      break;
    }
  }
  const char* what = out.unmatched == Unmatched::Late        ? "late answer (request timed out)"
                     : out.unmatched == Unmatched::Duplicate ? "duplicate answer (request already answered)"
                                                             : "answer to no pending request";
  out.problem = std::string(what) + ": " + std::string(request_kind_name(kind)) + " message_id " + key.second;
  return out;
}

Resolution Correlator::resolve(const TopicInfo& topic, std::int64_t now_ms) {
  const std::optional<RequestKind> kind = request_answered_by(topic.kind);
  if (!kind) {
    Resolution out;
    out.problem = std::string(topic_kind_name(topic.kind)) + " answers no request";
    return out;
  }
  return resolve(*kind, topic.message_id, now_ms);
}

std::vector<RequestToken> Correlator::expire(std::int64_t now_ms) {
  std::vector<std::pair<std::int64_t, RequestToken>> due;
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (it->second.deadline_ms <= now_ms) {
      due.emplace_back(it->second.deadline_ms, it->second.token);
      remember(it->first, Unmatched::Late);
      it = pending_.erase(it);
    } else {
      ++it;
    }
  }
  std::stable_sort(due.begin(), due.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<RequestToken> out;
  out.reserve(due.size());
  for (const auto& d : due) out.push_back(d.second);
  return out;
}

std::optional<std::int64_t> Correlator::next_deadline() const {
  std::optional<std::int64_t> earliest;
  for (const auto& [key, p] : pending_) {
    if (!earliest || p.deadline_ms < *earliest) earliest = p.deadline_ms;
  }
  return earliest;
}

bool Correlator::cancel(RequestKind kind, std::string_view message_id) {
  return pending_.erase(Key{kind, std::string(message_id)}) != 0;
}

std::vector<RequestToken> Correlator::take_all() {
  std::vector<RequestToken> out;
  out.reserve(pending_.size());
  for (const auto& [key, p] : pending_) out.push_back(p.token);
  pending_.clear();
  return out;
}

}  // namespace tpgate::gateway
