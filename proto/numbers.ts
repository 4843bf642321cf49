// 64-bit fields (seq, ts_ms, uptime, valve cycles) stay below 2^53, so decode them as plain numbers:
// without Long, protobufjs's reader returns numbers and the hot path never allocates Long objects.
// This must run before the generated code loads, hence its own module imported first.
import $protobuf from 'protobufjs/minimal.js'

$protobuf.util.Long = undefined as unknown as typeof $protobuf.util.Long
$protobuf.configure()
