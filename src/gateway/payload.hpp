// Everything about gateway message bodies in one include: the payload tree and routing,
// device bodies per kind, parsing with path errors, and the broker envelope.
#pragma once

#include "gateway/base64.hpp"
#include "gateway/envelope.hpp"
#include "gateway/payload_body.hpp"
#include "gateway/payload_parse.hpp"
#include "gateway/payload_tree.hpp"
