// The incremental Decoder: frames packets out of an arbitrarily chunked byte
// stream and hands each whole packet to decode_body().
#include <utility>

#include "mqtt/codec.hpp"
#include "mqtt/codec_decode.hpp"

namespace tpgate::mqtt {
namespace {

// Consumed bytes are dropped from the front of the buffer only when that is
// cheap relative to what was consumed: everything is consumed (clear), or the
// consumed part is at least this large and at least half of the buffer, so the
// bytes moved never exceed the bytes consumed.
constexpr std::size_t kCompactThreshold = 4096;
// A packet up to this size gets its whole room reserved when its header
// arrives; a larger one grows with the bytes that actually arrive, so a
// header announcing 256 MB cannot make us allocate it up front.
constexpr std::size_t kReserveLimit = 1U << 20;

}  // namespace

Decoder::Decoder(DecoderOptions options) : options_(options) {}

void Decoder::feed(std::span<const std::uint8_t> bytes) {
  if (failed_ || bytes.empty()) return;  // an error is final: nothing more is decoded
  if (offset_ == buffer_.size()) {
    buffer_.clear();
    offset_ = 0;
  } else if (offset_ >= kCompactThreshold && offset_ * 2 >= buffer_.size()) {
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(offset_));
    offset_ = 0;
  }
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
}

Decoder::Status Decoder::next(Packet& out, Error& error) {
  ReceivedPublish* none = nullptr;
  return next_packet(out, none, error);
}

Decoder::Status Decoder::next(Packet& out, ReceivedPublish& publish, Error& error) {
  ReceivedPublish* in_place = &publish;
  return next_packet(out, in_place, error);
}

Decoder::Status Decoder::next_packet(Packet& out, ReceivedPublish* publish, Error& error) {
  if (publish != nullptr) publish->set = false;
  if (failed_) {
    error = error_;
    return Status::Error;
  }
  const std::span<const std::uint8_t> pending(buffer_.data() + offset_, buffer_.size() - offset_);
  detail::FixedHeader header;
  switch (detail::parse_fixed_header(pending, options_, header, error_)) {
    case detail::HeaderStatus::NeedMore: return Status::NeedMore;
    case detail::HeaderStatus::Error:
      failed_ = true;
      error = error_;
      return Status::Error;
    case detail::HeaderStatus::Ok: break;
  }
  if (pending.size() < header.total_size()) {
    // Make room for the whole packet once instead of growing chunk by chunk.
    if (header.total_size() <= kReserveLimit) buffer_.reserve(offset_ + header.total_size());
    return Status::NeedMore;
  }
  const auto body = pending.subspan(header.header_size, header.remaining_length);
  bool decoded = false;
  if (publish != nullptr && header.type == PacketType::Publish) {
    // read_properties() fills an empty set only.
    if (!publish->properties.empty()) publish->properties = Properties{};
    decoded = detail::decode_publish_in_place(header, body, options_, publish->view, publish->properties, error_);
    publish->set = decoded;
  } else {
    decoded = detail::decode_body(header, body, options_, out, error_);
  }
  if (!decoded) {
    failed_ = true;
    error = error_;
    return Status::Error;
  }
  offset_ += header.total_size();
  // A CONNECT declares the version of the rest of the stream (server side).
  if (publish == nullptr || !publish->set) {
    if (const auto* connect = std::get_if<Connect>(&out)) options_.version = connect->version;
  }
  return Status::Packet;
}

void Decoder::reset() {
  buffer_.clear();
  offset_ = 0;
  failed_ = false;
  error_ = Error{};
}

}  // namespace tpgate::mqtt
