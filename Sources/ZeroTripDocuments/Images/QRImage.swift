extension QRMatrix {
    /// A PNG (8-bit greyscale) of the symbol with a 4-module quiet zone, `scale` pixels per module.
    public func pngRepresentation(scale: Int = 8) -> [UInt8] {
        let scale = max(1, min(scale, 32))
        let modulesWithQuietZone = size + 8
        let side = modulesWithQuietZone * scale
        var raw = [UInt8]()
        raw.reserveCapacity((side + 1) * side)
        for pixelRow in 0..<side {
            raw.append(0)  // filter type None
            let moduleRow = pixelRow / scale - 4
            for pixelColumn in 0..<side {
                let moduleColumn = pixelColumn / scale - 4
                let dark = moduleRow >= 0 && moduleRow < size && moduleColumn >= 0 && moduleColumn < size && isDark(x: moduleColumn, y: moduleRow)
                raw.append(dark ? 0 : 255)
            }
        }
        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        func chunk(_ type: String, _ data: [UInt8]) {
            png += UInt32(data.count).bigEndianBytes
            let typed = Array(type.utf8) + data
            png += typed
            png += Zlib.crc32(typed).bigEndianBytes
        }
        chunk("IHDR", UInt32(side).bigEndianBytes + UInt32(side).bigEndianBytes + [8, 0, 0, 0, 0])
        chunk("IDAT", Zlib.compress(raw, level: 9))
        chunk("IEND", [])
        return png
    }
}

extension UInt32 {
    var bigEndianBytes: [UInt8] { [UInt8(self >> 24), UInt8(self >> 16 & 0xFF), UInt8(self >> 8 & 0xFF), UInt8(self & 0xFF)] }
}
