// Types of 'tpgate/broker' (Node only): the dev broker behind `tpgate broker`.
import type { Aedes } from 'aedes';
import type { TpgateError } from './index.js';

/** One device of the ThingsPanel mode's devices file (it stands in for the platform's device table). */
export interface DeviceEntry {
  /** The platform's id of the device (a UUID there): in the envelope and in devices/status/{device_id}. No '/', '+', '#'. */
  device_id: string;
  /** The device's number: the {dn} of its downlink topics. No '/', '+', '#'. */
  device_number: string;
  /** "gateway" (default), "device", ...: shown in the log only. */
  type?: string;
  /** The voucher's username (unique; "root" and "plugin" are reserved). */
  username: string;
  /** The voucher's password; absent, null or "" = the device connects without one. */
  password?: string | null;
  /** Free text (registration sets it); shown in GET /api/v1/tpgate/devices. */
  name?: string;
  /** The id of the device's configuration (configurations file only): its topic mappings apply. */
  configuration?: string;
  /** true for a device added over the HTTP API (and written back to the file). */
  registered?: boolean;
  /** A gateway sub-device's address on its parent; given together with parent_device_number. */
  sub_device_addr?: string;
  /** The device_number of a sub-device's parent gateway. */
  parent_device_number?: string;
}

/** A devices entry after validateDevices(): type and password filled in. */
export interface Device extends DeviceEntry {
  type: string;
  password: string | null;
}

/** A data script of a configuration (docs/configurations.md#scripts); the broker only carries it. */
export interface ConfigurationScript {
  /** The platform's letter (data_scripts.script_type): A..F. */
  type: 'A' | 'B' | 'C' | 'D' | 'E' | 'F';
  /** The Lua text (read from `file` by loadConfigurationsFile; null when only parsed). */
  content: string | null;
  /** The script file, relative to the configurations file, or null. */
  file: string | null;
  enabled: boolean;
}

/** A topic mapping rule after parsing (the platform's device_topic_mappings row). */
export interface TopicMapping {
  /** Where it is in the file: 'configurations[0].topic_mappings[1]'. */
  at: string;
  name: string | null;
  direction: 'up' | 'down';
  /** up: the device's custom topic ('+' and {name} match one level); down: the device's custom topic to forward to. */
  source_topic: string;
  /** up: the standard topic to republish on; down: the standard downlink that is forwarded. */
  target_topic: string;
  /** down: forward only when the payload's `method` equals it, cutting the payload to `params`. */
  data_identifier: string | null;
  /** Smaller matches first. Default 0. */
  priority: number;
  enabled: boolean;
}

/** A device configuration (template) after parsing; see docs/configurations.md. */
export interface Configuration {
  id: string;
  name: string;
  /** '1' direct device, '2' gateway (default), '3' gateway sub-device. */
  device_type: '1' | '2' | '3';
  voucher_type: 'ACCESSTOKEN' | 'BASIC';
  template_secret: string | null;
  auto_register: boolean;
  scripts: Partial<Record<'telemetry_up' | 'telemetry_down' | 'attributes_up' | 'attributes_down' | 'command_down' | 'event_up', ConfigurationScript>>;
  /** Sorted by priority (stable). */
  topic_mappings: TopicMapping[];
}

/** A configurations file's JSON: {configurations, devices} (docs/configurations.md). */
export interface ConfigurationsFile {
  configurations?: unknown[];
  devices?: DeviceEntry[];
}

export interface BrokerOptions {
  /** MQTT over TCP port. Default 1883; 0 = any free port; null = no TCP listener. */
  tcpPort?: number | null;
  /** MQTT over WebSocket port. Default 8083; 0 = any free port; null = no WebSocket listener. */
  wsPort?: number | null;
  /**
   * ThingsPanel mode: the HTTP API's port (registration, GET /api/v1/tpgate/devices). Default 0 (any
   * free port) in ThingsPanel mode; null = no API. Refused in plain mode.
   */
  apiPort?: number | null;
  /**
   * Serve Prometheus metrics at http://host:port/metrics (docs/broker.md#metrics): connections,
   * messages received and sent by topic family, refused logins, ACL denials, process metrics.
   * 0 = any free port; absent or null (default) = no metrics. A port that cannot be listened on
   * makes startBroker reject (before any listener opens) with an Error whose `code` is
   * 'EADDRINUSE', 'EACCES', ...
   */
  metricsPort?: number | null;
  /** The WebSocket path; upgrades on other paths are refused (404). Default '/mqtt'. */
  wsPath?: string;
  /** Address to listen on. Default '127.0.0.1'. */
  host?: string;
  /**
   * ThingsPanel mode: the path of a configurations file (docs/configurations.md; devices registered
   * over HTTP are written back to it), a configurations object, or a bare devices array.
   * Absent: plain mode, a standard broker anyone may use.
   */
  thingspanel?: string | DeviceEntry[] | ConfigurationsFile;
  /** ThingsPanel mode: the password of the platform user `root` (full access). Absent: root is refused. */
  rootPassword?: string | null;
  /** ThingsPanel mode: likewise for the reserved user `plugin`. */
  pluginPassword?: string | null;
  /** Where log lines go: a function, true (stderr, the default) or false (nowhere). */
  log?: ((line: string) => void) | boolean;
}

/** A running broker; close() stops it and ends every connection. */
export interface Broker {
  mode: 'plain' | 'thingspanel';
  host: string;
  /** The bound ports (the real one when 0 was asked), null when that listener is off. */
  tcpPort: number | null;
  wsPort: number | null;
  /** The HTTP API's port, null when there is none. */
  apiPort: number | null;
  /** The metrics server's port, null without metricsPort. */
  metricsPort: number | null;
  wsPath: string;
  /** URLs: tcp 'mqtt://host:port', ws 'ws://host:port/mqtt', api 'http://host:port', metrics 'http://host:port/metrics'. */
  urls: { tcp?: string; ws?: string; api?: string; metrics?: string };
  tcpUrl: string | null;
  wsUrl: string | null;
  apiUrl: string | null;
  metricsUrl: string | null;
  /** The devices of ThingsPanel mode ([] in plain mode); registered devices are added as they come. */
  devices: Device[];
  /** The device configurations ([] without a configurations file). */
  configurations: Configuration[];
  /** The aedes instance (MQTT 3.1 / 3.1.1 only: an MQTT 5 CONNECT is refused with "unacceptable protocol version"). */
  aedes: Aedes;
  /** Closes the metrics server, the listeners, every connection and aedes. Calling it again returns the same promise. */
  close(): Promise<void>;
}

/**
 * Starts the broker. Rejects with InvalidOptionError for bad options, DevicesFileError for a bad
 * devices file, and an Error naming the port when a listener (or the metrics server) cannot bind.
 */
export function startBroker(options?: BrokerOptions): Promise<Broker>;

/** A configurations file that does not fit the format; its `code` is 'ERR_INVALID_CONFIGURATIONS'. */
export class ConfigurationsError extends TpgateError {
  /** The file (or the source name given). */
  file?: string;
  /** Where the problem is: 'configurations[0].scripts.telemetry_up', 'devices[2].configuration', '' for the whole file. */
  path?: string;
}

/** The script types: stable name -> the platform's letter. */
export const SCRIPT_TYPES: Readonly<Record<'telemetry_up' | 'telemetry_down' | 'attributes_up' | 'attributes_down' | 'command_down' | 'event_up', string>>;

/**
 * Checks a configurations file's parsed JSON (or a bare devices array). Throws ConfigurationsError
 * (DevicesFileError for a bare array). Also exported, browser-safe, by npm/src/configurations.js.
 */
export function parseConfigurations(value: unknown, options?: { source?: string }): {
  format: 'configurations' | 'devices';
  configurations: Configuration[];
  devices: Device[];
  /** Things accepted but ignored (data_identifier on an up rule). */
  warnings: string[];
};

/** Reads a configurations file and the script files it names (relative to it). */
export function loadConfigurationsFile(file: string): Promise<ReturnType<typeof parseConfigurations> & { raw: unknown }>;

/** The largest HTTP API request body, in bytes. */
export const MAX_BODY_BYTES: number;

/** A devices file or array that does not fit the format; its `code` is 'ERR_INVALID_DEVICES'. */
export class DevicesFileError extends TpgateError {
  /** The file (or 'thingspanel' for an array). */
  file?: string;
  /** The index of the entry at fault. */
  index?: number;
  /** The field at fault. */
  field?: string;
}

/** Checks a devices array; returns it normalised or throws DevicesFileError. */
export function validateDevices(devices: unknown, source?: string): Device[];
/** Reads and checks a devices.json. */
export function loadDevicesFile(file: string): Promise<Device[]>;

export interface GenerateDevicesOptions {
  /** How many gateways. Default 1. */
  count?: number;
  /** {i} of the first one. Default 1. */
  firstIndex?: number;
  /** Template ({i}, {i:N} zero-padded). Default 'gw-{i}', as the emulator's default scenario. */
  deviceNumber?: string;
  /** Template ({i}, {i:N}, {device_number}). Default '{device_number}'. */
  username?: string;
  /** Template, or null (default) for no password. */
  password?: string | null;
  /** Default 'gateway'. */
  type?: string;
}

/** Devices for a fleet of gateways named as the emulator names them; device_id is derived from device_number (stable). */
export function generateDevices(options?: GenerateDevicesOptions): DeviceEntry[];
/** Writes generateDevices(options) to `file` as JSON and resolves with the devices. */
export function generateDevicesFile(file: string, options?: GenerateDevicesOptions): Promise<DeviceEntry[]>;
/** The stable UUID generateDevices() gives a device_number. */
export function deviceIdFor(deviceNumber: string): string;

/** The topics a device may publish ('+' = a message_id). */
export const UPLINK_TOPICS: readonly string[];
/** The filters a device may subscribe to ('{dn}' = its device_number). */
export const DOWNLINK_FILTERS: readonly string[];
/** Why a device may not publish on `topic`, or null when it may. */
export function publishDenial(topic: string): string | null;
/** Why the device `dn` may not subscribe to `filter`, or null when it may. */
export function subscribeDenial(filter: string, dn: string): string | null;
