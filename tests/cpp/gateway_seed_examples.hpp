// The JSON examples of the seed spec ("Gateway Device MQTT Interaction Spec",
// docs/thingspanel.md#seed-examples), verbatim, in the order the spec gives them.
#pragma once

#include <string_view>

namespace tpgate::gateway::seed {

// title="Single Layer Gateway"
inline constexpr std::string_view kTelemetrySingleLayer = R"json({
    "gateway_data": {
        "temperature": 25.5,
        "version": "1.0.0",
        "switch": true
    },
    "sub_device_data": {
        "sensor_001": {
            "temperature": 24.0,
            "humidity": 65.0,
            "switch": true
        },
        "sensor_002": {
            "temperature": 26.5,
            "humidity": 60.0,
            "switch": false
        }
    }
})json";

// title="Multi-Level Gateway"
inline constexpr std::string_view kTelemetryMultiLevel = R"json({
  "gateway_data": { 
    "temperature": 26.0, 
    "version": "2.0.0", 
    "switch": true 
  },
  "sub_device_data": {
    "device_001": { 
      "temperature": 25.0, 
      "humidity": 70.0 
    }
  },
  "sub_gateway_data": {
    "gateway_001": {
      "gateway_data": { 
        "temperature": 28.0, 
        "version": "1.5.0", 
        "switch": true 
      },
      "sub_device_data": {
        "sensor_101": { 
          "temperature": 27.5, 
          "humidity": 55.0 
        }
      }
    }
  }
})json";

// title="Historical (Single Gateway)"
inline constexpr std::string_view kTelemetryHistorical = R"json({   
    "gateway_data": [
        {"ts": 1609459200, "values": {"temperature": 25.0, "humidity": 60.0}},
        {"ts": 1609462800, "values": {"temperature": 26.0, "humidity": 62.0}}
    ],
    "sub_device_data": {
        "sensor_001": [
            {"ts": 1609459200, "values": {"temperature": 24.5, "humidity": 65.0}},
            {"ts": 1609462800, "values": {"temperature": 25.5, "humidity": 63.0}}
        ]
    }
})json";

// 2. Attribute Reporting, title="Single Gateway"
inline constexpr std::string_view kAttributes = R"json({
    "gateway_data": {
        "ip": "192.168.1.100",
        "version": "1.0.0",
        "mac": "00:11:22:33:44:55"
    },
    "sub_device_data": {
        "sensor_001": {
            "ip": "192.168.1.101",
            "version": "1.2.0",
            "type": "temperature"
        }
    }
})json";

// title="Real-time Event"
inline constexpr std::string_view kEventRealTime = R"json({
    "gateway_data": {
        "method": "SystemStarted",
        "params": {
            "version": "1.0.0",
            "mode": "normal"
        }
    },
    "sub_device_data": {
        "sensor_001": {
            "method": "AlarmTriggered",
            "params": {
                "level": "high",
                "sensor": "temperature"
            }
        }
    }
})json";

// title="Historical Event"
inline constexpr std::string_view kEventHistorical = R"json({
    "gateway_data": [
        {
            "ts": 1609459200000,
            "method": "SystemStarted",
            "params": {
                "version": "2.0.0",
                "mode": "normal"
            }
        }
    ]
})json";

// 4. Receive Control Commands
inline constexpr std::string_view kControl = R"json({
    "gateway_data": {
        "temperature": 25.0,
        "brightness": 80,
        "switch": true
    },
    "sub_device_data": {
        "sensor_001": {
            "temperature": 26.0,
            "switch": false
        }
    }
})json";

// 5. Receive Attribute Set
inline constexpr std::string_view kAttributeSet = R"json({
    "gateway_data": {
        "ip": "192.168.1.100",
        "heartbeat": 30
    },
    "sub_device_data": {
        "sensor_001": {
            "ip": "192.168.1.101",
            "sampling_rate": 10
        }
    }
})json";

// title="Query Specific Attributes"
inline constexpr std::string_view kAttributeGet = R"json({
    "gateway_data": ["ip", "version"],
    "sub_device_data": {
        "sensor_001": ["temperature", "humidity"]
    }
})json";

// 7. Receive Command Execution
inline constexpr std::string_view kCommand = R"json({
    "gateway_data": {
        "method": "Restart",
        "params": {
            "delay": 5,
            "mode": "safe"
        }
    },
    "sub_device_data": {
        "sensor_001": {
            "method": "Calibrate",
            "params": {
                "sensor": "temperature",
                "offset": 0.5
            }
        }
    }
})json";

}  // namespace tpgate::gateway::seed
