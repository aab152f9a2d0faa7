// Standard base64 (RFC 4648 section 4, with padding): the encoding Go's encoding/json
// gives a []byte, which is how the ThingsPanel broker packs a device payload into its
// envelope (docs/thingspanel.md#broker-envelope). Strict: anything else is rejected.
#pragma once

#include <string>
#include <string_view>

#include "mqtt/types.hpp"

namespace tpgate::gateway {

std::string base64_encode(std::string_view bytes);

// Fails (PayloadFormatInvalid, message names the offset) on a character outside the
// alphabet, a length that is not a multiple of 4, misplaced or excess '=' padding,
// and non-zero bits left over in the last group (a non-canonical encoding).
mqtt::Result<std::string> base64_decode(std::string_view text);
// The same into `out` (replaced; its capacity reused, for a caller that decodes one payload after another).
mqtt::Status base64_decode(std::string_view text, std::string& out);

}  // namespace tpgate::gateway
