// MQTT 5 Topic Aliases (3.3.2.3.4), one table per direction. Mappings live
// only as long as one network connection [MQTT-3.3.2-7]: both tables are reset
// for every new connection.
#pragma once

#include <cstdint>
#include <list>
#include <map>
#include <string>
#include <string_view>

#include "mqtt/packets.hpp"
#include "mqtt/types.hpp"

namespace tpgate::mqtt {

// Aliases the client gives to the topics it publishes, least recently used
// evicted first once the server's Topic Alias Maximum is reached.
class OutboundTopicAliases {
 public:
  // Bounds the table whatever the server allows, so that a session publishing
  // to many topics holds at most this many topic strings.
  static constexpr std::uint16_t kCap = 1024;

  // New connection: forget every mapping; `maximum` is the server's Topic
  // Alias Maximum (0 = no aliases [MQTT-3.2.2-18]).
  void reset(std::uint16_t maximum);

  struct Assignment {
    std::uint16_t alias = 0;  // 0: send the topic without an alias
    bool known = false;       // the server already maps alias -> topic: send an empty topic
  };
  // The alias to use for one PUBLISH to `topic`; registers or refreshes it.
  Assignment assign(std::string_view topic);
  // Drops the mapping of `alias` (its PUBLISH was never written, so the
  // server does not know it).
  void forget(std::uint16_t alias);

  std::size_t size() const { return by_topic_.size(); }

 private:
  struct Entry {
    std::string topic;
    std::uint16_t alias = 0;
  };
  std::uint16_t maximum_ = 0;
  std::uint16_t next_unused_ = 1;
  std::list<Entry> recency_;  // most recently used first
  // Keys view the topic strings held by `recency_` (list nodes never move).
  // Ordered maps here and below: a table holds at most kCap (or 65535)
  // entries, and std::map's code is in the module already, where a hash map
  // brought its own (1.6 KB of rehashing alone) into the MQTT-only module.
  std::map<std::string_view, std::list<Entry>::iterator> by_topic_;
};

// Aliases the server gives to the topics it publishes to us.
class InboundTopicAliases {
 public:
  // New connection; `maximum` is the Topic Alias Maximum we sent in CONNECT.
  void reset(std::uint16_t maximum);

  // Resolves the topic of an incoming PUBLISH in place and removes the Topic
  // Alias property. Errors: TopicAliasInvalid for an alias of 0 or above our
  // maximum [MQTT-3.1.2-26] [MQTT-3.3.2-8]; ProtocolError for an empty topic
  // with an alias we hold no mapping for, or with no alias at all.
  Status resolve(Publish& publish);
  // The same for a PUBLISH read in place: `topic` is left as it is or set to
  // view the mapped topic (valid until the next call).
  Status resolve(std::string_view& topic, Properties& properties);

 private:
  std::uint16_t maximum_ = 0;
  std::map<std::uint16_t, std::string> topics_;
};

}  // namespace tpgate::mqtt
