/// A compact ICC v2.1 display profile for sRGB (IEC 61966-2.1), built in code for the PDF/A output intent.
///
/// Layout (ICC.1:2001-04, all numbers big-endian, every tag's data 4-byte aligned):
/// - a 128-byte header: version 2.1.0, class `mntr`, colour space `RGB `, PCS `XYZ `, perceptual rendering intent,
///   D50 illuminant, signature `acsp`, CMM, creator and profile ID left zero;
/// - a tag table of nine entries;
/// - `desc` (textDescriptionType: the ASCII name, with empty Unicode and ScriptCode parts), `cprt` (textType),
///   `wtpt` (D50), the Bradford-adapted D50 sRGB primaries `rXYZ`/`gXYZ`/`bXYZ`, and one 1024-point sampled
///   sRGB tone curve (curveType) whose data block is shared by `rTRC`/`gTRC`/`bTRC`.
///
/// The whole profile is 2,536 bytes. It uses only the standard library: the curve's power function is computed
/// by `SRGBProfile.power(_:_:)` rather than Foundation's `pow`, and nothing calls the C math library.
enum SRGBProfile {
    /// The profile bytes, ready to be embedded (Flate-compressed or not) as the `/DestOutputProfile` stream
    /// of the PDF/A output intent, with `/N 3`.
    static let bytes: [UInt8] = build()

    /// The `desc` tag's ASCII description.
    private static let description = "sRGB IEC61966-2.1 (ZeroTrip)"
    /// The `cprt` tag's text.
    private static let copyright = "No copyright, use freely"
    /// The number of samples in the tone curve.
    private static let curvePoints = 1024

    private static func build() -> [UInt8] {
        func u32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
        func u16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xFF)] }
        func sig(_ s: StaticString) -> [UInt8] {
            precondition(s.utf8CodeUnitCount == 4)
            return s.withUTF8Buffer { Array($0) }
        }
        func s15Fixed16(_ v: Double) -> [UInt8] { u32(UInt32(bitPattern: Int32(nearest(v * 65536)))) }
        func xyzType(_ x: Double, _ y: Double, _ z: Double) -> [UInt8] {
            sig("XYZ ") + u32(0) + s15Fixed16(x) + s15Fixed16(y) + s15Fixed16(z)
        }

        // textDescriptionType (ICC.1:2001-04 §6.5.17): ASCII count and string with its NUL; Unicode language code
        // and count 0 (no characters); ScriptCode code 0, count 0 and its fixed 67-byte field.
        let ascii = Array(description.utf8) + [0]
        let desc =
            sig("desc") + u32(0) + u32(UInt32(ascii.count)) + ascii
            + u32(0) + u32(0)
            + u16(0) + [0] + [UInt8](repeating: 0, count: 67)
        // textType (§6.5.18): a NUL-terminated ASCII string.
        let cprt = sig("text") + u32(0) + Array(copyright.utf8) + [0]
        // curveType (§6.5.3): sampled IEC 61966-2.1 decoding function, uInt16 values over [0, 1].
        var curve = sig("curv") + u32(0) + u32(UInt32(curvePoints))
        for i in 0..<curvePoints {
            let x = Double(i) / Double(curvePoints - 1)
            let y = x <= 0.04045 ? x / 12.92 : power((x + 0.055) / 1.055, 2.4)
            curve += u16(UInt16(nearest(min(max(y, 0), 1) * 65535)))
        }

        let tags: [(signature: [UInt8], data: [UInt8])] = [
            (sig("desc"), desc),
            (sig("cprt"), cprt),
            (sig("wtpt"), xyzType(0.9642, 1.0, 0.8249)),
            (sig("rXYZ"), xyzType(0.4361, 0.2225, 0.0139)),
            (sig("gXYZ"), xyzType(0.3851, 0.7169, 0.0971)),
            (sig("bXYZ"), xyzType(0.1431, 0.0606, 0.7141)),
            (sig("rTRC"), curve),
        ]
        let sharedCurveTags = [sig("gTRC"), sig("bTRC")]
        let tagCount = tags.count + sharedCurveTags.count
        var offset = 128 + 4 + 12 * tagCount
        var table = u32(UInt32(tagCount))
        var data: [UInt8] = []
        var curveEntry: [UInt8] = []
        for tag in tags {
            let entry = u32(UInt32(offset)) + u32(UInt32(tag.data.count))
            table += tag.signature + entry
            if tag.data.starts(with: sig("curv")) { curveEntry = entry }
            data += tag.data
            while data.count % 4 != 0 { data.append(0) }
            offset = 128 + 4 + 12 * tagCount + data.count
        }
        for signature in sharedCurveTags { table += signature + curveEntry }

        let size = 128 + table.count + data.count
        var header = u32(UInt32(size))  // profile size
        header += u32(0)  // preferred CMM: none
        header += u32(0x0210_0000)  // version 2.1.0
        header += sig("mntr") + sig("RGB ") + sig("XYZ ")
        header += u16(2026) + u16(1) + u16(1) + u16(0) + u16(0) + u16(0)  // creation date, UTC
        header += sig("acsp")
        header += u32(0) + u32(0) + u32(0) + u32(0)  // platform, flags, device manufacturer, device model
        header += [UInt8](repeating: 0, count: 8)  // device attributes
        header += u32(0)  // rendering intent: perceptual
        header += s15Fixed16(0.9642) + s15Fixed16(1.0) + s15Fixed16(0.8249)  // PCS illuminant, D50
        header += u32(0)  // creator
        header += [UInt8](repeating: 0, count: 128 - header.count)  // profile ID (v4 only) and reserved bytes
        return header + table + data
    }

    /// `v` rounded to the nearest integer, halves away from zero, like `v.rounded()` — but by conversion only,
    /// so neither this file nor a program built from it alone needs the C math library.
    private static func nearest(_ v: Double) -> Int {
        v >= 0 ? Int(v + 0.5) : -Int(-v + 0.5)
    }

    /// `base` raised to `exponent`, for `base > 0`, as `exp(exponent · ln(base))` with the standard library only.
    ///
    /// Both functions reduce their argument by powers of two and sum fast-converging series, accurate to a few
    /// units in the last place — far finer than the curve's 16-bit samples.
    private static func power(_ base: Double, _ exponent: Double) -> Double {
        precondition(base > 0 && base.isFinite)
        return exponential(exponent * logarithm(base))
    }

    private static let ln2 = 0.693_147_180_559_945_309_417_232_121_458_176_568
    private static let sqrt2 = 1.414_213_562_373_095_048_801_688_724_209_698_079

    /// Natural logarithm of a positive finite number: `ln(m · 2^e) = e · ln 2 + 2 atanh((m − 1)/(m + 1))`,
    /// with `m` brought into [√½, √2) so the series argument stays below 0.172.
    private static func logarithm(_ x: Double) -> Double {
        var e = Double(x.exponent)
        var m = x.significand  // [1, 2)
        if m > sqrt2 {
            m /= 2
            e += 1
        }
        let z = (m - 1) / (m + 1)
        let z2 = z * z
        var term = z, sum = 0.0, k = 1.0
        while true {
            let next = sum + term / k
            if next == sum { break }
            sum = next
            term *= z2
            k += 2
        }
        return e * ln2 + 2 * sum
    }

    /// `e^x` for finite `x`: `e^x = 2^k · e^r` with `k = round(x / ln 2)`, `|r| ≤ ln 2 / 2`, and a Taylor series for `e^r`.
    private static func exponential(_ x: Double) -> Double {
        let k = Double(nearest(x / ln2))
        let r = x - k * ln2
        var term = 1.0, sum = 1.0, n = 1.0
        while true {
            term *= r / n
            let next = sum + term
            if next == sum { break }
            sum = next
            n += 1
        }
        return Double(sign: .plus, exponent: Int(k), significand: sum)
    }
}
