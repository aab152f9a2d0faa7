// The core's JSON value: nlohmann/json (Debian's nlohmann-json3-dev, header-only).
// Every part of the core that holds JSON holds this type; reading and writing text
// go through this folder (read.hpp, writer.hpp, scan.hpp).
#pragma once

#include <nlohmann/json.hpp>

namespace tpgate::json {

using Value = nlohmann::json;

}  // namespace tpgate::json
