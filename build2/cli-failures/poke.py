import json, struct, sys
path, name, value = sys.argv[1], sys.argv[2], float(sys.argv[3])
b = bytearray(open(path, 'rb').read())
n = struct.unpack('<Q', b[:8])[0]
off = 8 + n + json.loads(b[8:8 + n])[name]['data_offsets'][0]
b[off:off + 4] = struct.pack('<f', value)
open(path, 'wb').write(b)
