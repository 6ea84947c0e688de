import Foundation

/// A compact ICC v2.1 display profile for sRGB (IEC 61966-2.1), built in code for the PDF/A output intent.
///
/// Tags: `desc`, `cprt`, `wtpt` (D50), the Bradford-adapted primaries `rXYZ`/`gXYZ`/`bXYZ`, and one sampled
/// sRGB tone curve (1024 points) shared by `rTRC`/`gTRC`/`bTRC`. About 2.5 KB.
enum SRGBProfile {
    /// The profile bytes.
    static let bytes: [UInt8] = build()

    private static func build() -> [UInt8] {
        func u32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
        func u16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xFF)] }
        func sig(_ s: String) -> [UInt8] { Array(s.utf8) }
        func s15(_ v: Double) -> [UInt8] { u32(UInt32(bitPattern: Int32((v * 65536).rounded()))) }
        func xyz(_ x: Double, _ y: Double, _ z: Double) -> [UInt8] { sig("XYZ ") + u32(0) + s15(x) + s15(y) + s15(z) }

        let descText = Array("sRGB IEC61966-2.1 (ZeroTrip)".utf8) + [0]
        // textDescriptionType (ICC.1:2001-04 §6.5.17): ASCII part, empty Unicode and ScriptCode parts.
        let desc = sig("desc") + u32(0) + u32(UInt32(descText.count)) + descText + u32(0) + u32(0) + u16(0) + [0] + [UInt8](repeating: 0, count: 67)
        let cprt = sig("text") + u32(0) + Array("No copyright, use freely".utf8) + [0]
        var curve = sig("curv") + u32(0) + u32(1024)
        for i in 0..<1024 {
            let x = Double(i) / 1023
            let y = x <= 0.04045 ? x / 12.92 : pow((x + 0.055) / 1.055, 2.4)
            curve += u16(UInt16((y * 65535).rounded()))
        }
        let tags: [(String, [UInt8])] = [
            ("desc", desc), ("cprt", cprt), ("wtpt", xyz(0.9642, 1.0, 0.8249)),
            ("rXYZ", xyz(0.4361, 0.2225, 0.0139)), ("gXYZ", xyz(0.3851, 0.7169, 0.0971)), ("bXYZ", xyz(0.1431, 0.0606, 0.7141)),
            ("rTRC", curve),
        ]
        let tableSize = 4 + 12 * (tags.count + 2)  // gTRC and bTRC share rTRC's data
        var offset = 128 + tableSize
        var table = u32(UInt32(tags.count + 2))
        var data: [UInt8] = []
        var curveEntry: (UInt32, UInt32) = (0, 0)
        for (name, bytes) in tags {
            table += sig(name) + u32(UInt32(offset)) + u32(UInt32(bytes.count))
            if name == "rTRC" { curveEntry = (UInt32(offset), UInt32(bytes.count)) }
            var padded = bytes
            while padded.count % 4 != 0 { padded.append(0) }
            data += padded
            offset += padded.count
        }
        for name in ["gTRC", "bTRC"] { table += sig(name) + u32(curveEntry.0) + u32(curveEntry.1) }
        let size = 128 + table.count + data.count
        var header = u32(UInt32(size)) + u32(0) + u32(0x0210_0000) + sig("mntr") + sig("RGB ") + sig("XYZ ")
        header += u16(2026) + u16(1) + u16(1) + u16(0) + u16(0) + u16(0)
        header += sig("acsp") + u32(0) + u32(0) + u32(0) + u32(0) + [UInt8](repeating: 0, count: 8) + u32(0)
        header += s15(0.9642) + s15(1.0) + s15(0.8249) + u32(0)
        header += [UInt8](repeating: 0, count: 128 - header.count)
        return header + table + data
    }
}
