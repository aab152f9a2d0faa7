// The built-in scenario: the seed spec's multi-level gateway (its "Multi-Level Gateway"
// telemetry example, docs/thingspanel.md#seed-examples), with the keys, attributes, event and command of the
// seed's examples, so `tpgate emulate` with no file shows every level of the tree.
#include "emulator/scenario.hpp"

namespace tpgate::emulator {

std::string_view default_scenario_json() {
  return R"json({
  "name": "seed multi-level gateway",
  "seed": 1,
  "broker": { "url": "ws://127.0.0.1:8083/mqtt", "protocol_version": 4, "keepalive_s": 60, "qos": 1 },
  "gateways": { "count": 1, "device_number": "gw-{i}", "client_id": "{device_number}", "username": "{device_number}" },
  "gateway": {
    "telemetry_interval_s": 1,
    "telemetry": {
      "temperature": { "type": "random_walk", "start": 26.0, "step": 0.5, "min": -20, "max": 60, "decimals": 1 },
      "version": "2.0.0",
      "switch": { "type": "toggle", "start": true }
    },
    "attributes": { "ip": "192.168.1.100", "version": "2.0.0", "mac": "00:11:22:33:44:55" },
    "events": [
      { "method": "SystemStarted", "params": { "version": "2.0.0", "mode": "normal" }, "first_s": 2, "every_s": 10 }
    ],
    "commands": {
      "Restart": { "latency_ms": 20, "effects": { "attributes": { "mode": "$params.mode" } } },
      "*": { "latency_ms": 10 }
    },
    "sub_devices": {
      "sensor_001": {
        "telemetry": {
          "temperature": { "type": "random_walk", "start": 24.0, "step": 0.5, "min": -20, "max": 60, "decimals": 1 },
          "humidity": { "type": "uniform", "min": 60, "max": 70, "decimals": 1 },
          "switch": true
        },
        "attributes": { "ip": "192.168.1.101", "version": "1.2.0", "type": "temperature" },
        "commands": { "Calibrate": { "latency_ms": 50 }, "*": {} }
      },
      "sensor_002": {
        "telemetry": {
          "temperature": { "type": "sine", "min": 24, "max": 29, "period_s": 60, "decimals": 1 },
          "humidity": { "type": "uniform", "min": 55, "max": 65, "decimals": 1 },
          "switch": false
        },
        "attributes": { "ip": "192.168.1.102", "version": "1.2.0" }
      }
    },
    "sub_gateways": {
      "gateway_001": {
        "telemetry": {
          "temperature": { "type": "random_walk", "start": 28.0, "step": 0.5, "min": -20, "max": 60, "decimals": 1 },
          "version": "1.5.0",
          "switch": true
        },
        "attributes": { "ip": "192.168.1.110", "version": "1.5.0" },
        "sub_devices": {
          "sensor_101": {
            "telemetry": {
              "temperature": { "type": "random_walk", "start": 27.5, "step": 0.5, "min": -20, "max": 60, "decimals": 1 },
              "humidity": { "type": "uniform", "min": 50, "max": 60, "decimals": 1 }
            },
            "attributes": { "version": "1.0.0" },
            "commands": { "Restart": { "latency_ms": 20 }, "*": {} }
          }
        }
      }
    }
  }
}
)json";
}

}  // namespace tpgate::emulator
