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
  /** Free text, shown nowhere; allowed so files can carry a label. */
  name?: string;
}

/** A devices entry after validateDevices(): type and password filled in. */
export interface Device extends DeviceEntry {
  type: string;
  password: string | null;
}

export interface BrokerOptions {
  /** MQTT over TCP port. Default 1883; 0 = any free port; null = no TCP listener. */
  tcpPort?: number | null;
  /** MQTT over WebSocket port. Default 8083; 0 = any free port; null = no WebSocket listener. */
  wsPort?: number | null;
  /** The WebSocket path; upgrades on other paths are refused (404). Default '/mqtt'. */
  wsPath?: string;
  /** Address to listen on. Default '127.0.0.1'. */
  host?: string;
  /**
   * ThingsPanel mode: the devices (an array, or the path of a devices.json holding one).
   * Absent: plain mode, a standard broker anyone may use.
   */
  thingspanel?: string | DeviceEntry[];
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
  wsPath: string;
  /** URLs to give clients: tcp 'mqtt://host:port', ws 'ws://host:port/mqtt'. */
  urls: { tcp?: string; ws?: string };
  tcpUrl: string | null;
  wsUrl: string | null;
  /** The devices of ThingsPanel mode ([] in plain mode). */
  devices: Device[];
  /** The aedes instance (MQTT 3.1 / 3.1.1 only: an MQTT 5 CONNECT is refused with "unacceptable protocol version"). */
  aedes: Aedes;
  /** Closes the listeners, every connection and aedes. Calling it again returns the same promise. */
  close(): Promise<void>;
}

/**
 * Starts the broker. Rejects with InvalidOptionError for bad options, DevicesFileError for a bad
 * devices file, and an Error naming the port when a listener cannot bind.
 */
export function startBroker(options?: BrokerOptions): Promise<Broker>;

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
