#include "mqtt/topic_alias.hpp"

#include <algorithm>
#include <string>

namespace tpgate::mqtt {

void OutboundTopicAliases::reset(std::uint16_t maximum) {
  maximum_ = std::min(maximum, kCap);
  next_unused_ = 1;
  by_topic_.clear();
  recency_.clear();
}

OutboundTopicAliases::Assignment OutboundTopicAliases::assign(std::string_view topic) {
  if (maximum_ == 0 || topic.empty()) return {};
  if (auto found = by_topic_.find(topic); found != by_topic_.end()) {
    recency_.splice(recency_.begin(), recency_, found->second);
    return {found->second->alias, true};
  }
  if (next_unused_ <= maximum_) {
    recency_.push_front(Entry{std::string(topic), next_unused_++});
  } else {
    // Table full: the least recently used topic gives up its alias; sending
    // the new topic with that alias re-maps it on the server (3.3.2.3.4).
    auto oldest = std::prev(recency_.end());
    by_topic_.erase(oldest->topic);
    oldest->topic.assign(topic);
    recency_.splice(recency_.begin(), recency_, oldest);
  }
  by_topic_.emplace(recency_.front().topic, recency_.begin());
  return {recency_.front().alias, false};
}

void OutboundTopicAliases::forget(std::uint16_t alias) {
  auto it = std::find_if(recency_.begin(), recency_.end(), [alias](const Entry& e) { return e.alias == alias; });
  if (it == recency_.end()) return;
  by_topic_.erase(it->topic);
  if (alias + 1 == next_unused_) {
    // Just handed out: give the number back.
    recency_.erase(it);
    --next_unused_;
    return;
  }
  // A re-mapped alias: keep the node (with no topic) at the back so that it
  // is the next one reused.
  it->topic.clear();
  recency_.splice(recency_.end(), recency_, it);
}

void InboundTopicAliases::reset(std::uint16_t maximum) {
  maximum_ = maximum;
  topics_.clear();
}

Status InboundTopicAliases::resolve(Publish& publish) {
  std::string_view topic = publish.topic;
  Status status = resolve(topic, publish.properties);
  if (status && publish.topic.empty()) publish.topic.assign(topic);
  return status;
}

Status InboundTopicAliases::resolve(std::string_view& topic, Properties& properties) {
  if (!properties.topic_alias) {
    if (topic.empty()) {
      return make_error(ReasonCode::ProtocolError, "PUBLISH has neither a topic name nor a topic alias");
    }
    return ok_status();
  }
  const std::uint16_t alias = *properties.topic_alias;
  if (alias == 0 || alias > maximum_) {
    // [MQTT-3.3.2-8] alias 0; [MQTT-3.1.2-26] [MQTT-3.1.2-27] above what we announced.
    return make_error(ReasonCode::TopicAliasInvalid, "topic alias " + std::to_string(alias) +
                                                         " is outside 1.." + std::to_string(maximum_) +
                                                         " (our Topic Alias Maximum)");
  }
  if (topic.empty()) {
    auto found = topics_.find(alias);
    if (found == topics_.end()) {
      return make_error(ReasonCode::ProtocolError,
                        "topic alias " + std::to_string(alias) + " was never mapped on this connection");
    }
    topic = found->second;
  } else {
    topics_[alias].assign(topic);
  }
  properties.topic_alias.reset();
  return ok_status();
}

}  // namespace tpgate::mqtt
