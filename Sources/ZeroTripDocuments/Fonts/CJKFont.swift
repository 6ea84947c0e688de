internal import CHarfBuzz
import Glibc

/// A TrueType-outline CJK font loaded with HarfBuzz: character → glyph lookup, advances, and
/// subsetting with hb-subset for embedding (renumbered glyph ids; see ``FontSubset``).
///
/// HarfBuzz faces and fonts are immutable after creation and safe to read from several threads.
public final class CJKFont: @unchecked Sendable {
    /// AR PL UMing from Debian's fonts-arphic-uming: a Ming (Song) face with TrueType outlines.
    public static let defaultPath = "/usr/share/fonts/truetype/arphic/uming.ttc"

    /// The font file, mapped read-only; HarfBuzz reads the face from it in place.
    package let file: FontFileMapping
    private let blob: OpaquePointer
    private let face: OpaquePointer
    private let font: OpaquePointer
    /// The face with hb-subset's preprocessed tables attached (one-time ~0.1 s; each subset then costs ~0.2 ms instead of ~2.5 ms).
    private let subsetSource: OpaquePointer
    /// Font design units per em.
    public let unitsPerEm: Int
    /// The PostScript name, e.g. `UMingCN`.
    public let postScriptName: String
    /// Typographic ascender in design units.
    public let ascender: Int
    /// Typographic descender in design units (negative).
    public let descender: Int
    /// Number of glyphs in the face.
    public let glyphCount: Int

    /// Hanazono Mincho A and B from Debian's fonts-hanazono: Ming faces with TrueType outlines covering CJK
    /// Extensions A to F, drawn for the characters the main font lacks (rare given names such as 𠮷 or 𬌗).
    public static let defaultFallbackPaths = ["/usr/share/fonts/truetype/hanazono/HanaMinA.ttf", "/usr/share/fonts/truetype/hanazono/HanaMinB.ttf"]

    /// Loads face `index` of the font file at `path` (a `.ttf` or a `.ttc` collection). `preprocessed` prepares
    /// hb-subset's tables once (about 0.1 s, and memory for the whole face), which pays off for the main font that
    /// every document subsets; a fallback font used for a rare character now and then is subset without it.
    public init(path: String = CJKFont.defaultPath, faceIndex: UInt32 = 0, preprocessed: Bool = true) throws(DocumentError) {
        guard let file = FontFileMapping(path: path),
            let blob = hb_blob_create_or_fail(
                file.base.assumingMemoryBound(to: CChar.self), UInt32(file.length), HB_MEMORY_MODE_READONLY, nil, nil)
        else {
            throw DocumentError(.fontUnavailable, "cannot read the font file \(path) (Debian package fonts-arphic-uming)")
        }
        guard hb_face_count(blob) > faceIndex, let face = hb_face_create(blob, faceIndex) else {
            hb_blob_destroy(blob)
            throw DocumentError(.fontUnavailable, "\(path) has no face \(faceIndex)")
        }
        let glyphs = Int(hb_face_get_glyph_count(face))
        guard glyphs > 1,
            hb_face_reference_table(face, Self.tag("glyf")).map({ table -> Bool in
                defer { hb_blob_destroy(table) }
                return hb_blob_get_length(table) > 0
            }) == true
        else {
            hb_face_destroy(face)
            hb_blob_destroy(blob)
            throw DocumentError(.fontUnavailable, "\(path) is not a TrueType-outline (glyf) font")
        }
        self.file = file
        self.blob = blob
        self.face = face
        font = hb_font_create(face)
        if preprocessed {
            let prepared: OpaquePointer = hb_subset_preprocess(face)
            // When preprocessing fails, HarfBuzz before 7.0 (Debian 12 has 6.0) hands back the face itself without a
            // reference of its own, and deinit would destroy the face twice.
            if prepared == face && hb_version_atleast(7, 0, 0) == 0 { _ = hb_face_reference(face) }
            subsetSource = prepared
        } else {
            subsetSource = hb_face_reference(face)
        }
        glyphCount = glyphs
        unitsPerEm = Int(hb_face_get_upem(face))
        var extents = hb_font_extents_t()
        hb_font_get_h_extents(font, &extents)
        ascender = Int(extents.ascender)
        descender = Int(extents.descender)
        var length: UInt32 = 64
        var buffer = [CChar](repeating: 0, count: 64)
        hb_ot_name_get_utf8(face, hb_ot_name_id_t(HB_OT_NAME_ID_POSTSCRIPT_NAME), nil, &length, &buffer)
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        postScriptName =
            name.isEmpty
            ? "CJKFont" : String(name.unicodeScalars.filter { $0.isASCII && $0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-" })
        // Preprocessing read the whole face (about 17 MB of uming.ttc), and those pages would stay in the daemon's
        // resident memory although a document's subset reads only its own glyphs again.
        file.releaseResidentPages()
    }

    deinit {
        hb_font_destroy(font)
        hb_face_destroy(subsetSource)
        hb_face_destroy(face)
        hb_blob_destroy(blob)
    }

    /// The nominal glyph for `scalar`, or nil when the font has none.
    public func glyph(for scalar: Unicode.Scalar) -> UInt32? {
        var glyph: hb_codepoint_t = 0
        guard hb_font_get_nominal_glyph(font, scalar.value, &glyph) != 0, glyph != 0 else { return nil }
        return glyph
    }

    /// The horizontal advance of `glyph` in design units.
    public func advance(of glyph: UInt32) -> Int { Int(hb_font_get_glyph_h_advance(font, glyph)) }

    /// Subsets the font to `glyphs` (plus .notdef), renumbering them densely.
    func subset(glyphs: Set<UInt32>) throws(DocumentError) -> FontSubset {
        guard let input = hb_subset_input_create_or_fail() else { throw DocumentError(.subsetFailed, "hb_subset_input_create_or_fail failed") }
        defer { hb_subset_input_destroy(input) }
        let glyphSet = hb_subset_input_glyph_set(input)
        hb_set_add(glyphSet, 0)
        for glyph in glyphs { hb_set_add(glyphSet, glyph) }
        // No unicodes: CIDs are glyph ids, the text comes from ToUnicode. Hinting is useless at PDF sizes.
        hb_subset_input_set_flags(input, HB_SUBSET_FLAGS_NO_HINTING.rawValue)
        let dropTables = hb_subset_input_set(input, HB_SUBSET_SETS_DROP_TABLE_TAG)
        for tag in ["GSUB", "GPOS", "GDEF", "BASE", "JSTF", "vhea", "vmtx", "VORG", "DSIG", "kern", "morx", "gasp", "hdmx", "LTSH", "VDMX"] {
            hb_set_add(dropTables, Self.tag(tag))
        }
        guard let plan = hb_subset_plan_create_or_fail(subsetSource, input) else {
            throw DocumentError(.subsetFailed, "hb-subset could not plan the subset")
        }
        defer { hb_subset_plan_destroy(plan) }
        guard let subsetFace = hb_subset_plan_execute_or_fail(plan) else {
            throw DocumentError(.subsetFailed, "hb-subset could not build the subset")
        }
        defer { hb_face_destroy(subsetFace) }
        let mapping = hb_subset_plan_old_to_new_glyph_mapping(plan)
        var newIDs: [UInt32: UInt16] = [:]
        for glyph in glyphs {
            let new = hb_map_get(mapping, glyph)
            guard new != UInt32.max, new <= UInt32(UInt16.max) else { throw DocumentError(.subsetFailed, "glyph \(glyph) missing from the subset") }
            newIDs[glyph] = UInt16(new)
        }
        let fontBlob = hb_face_reference_blob(subsetFace)
        defer { hb_blob_destroy(fontBlob) }
        var length: UInt32 = 0
        guard let data = hb_blob_get_data(fontBlob, &length), length > 0 else {
            throw DocumentError(.subsetFailed, "hb-subset produced an empty font")
        }
        let bytes = data.withMemoryRebound(to: UInt8.self, capacity: Int(length)) { Array(UnsafeBufferPointer(start: $0, count: Int(length))) }
        return FontSubset(fontProgram: bytes, newGlyphIDs: newIDs)
    }

    private static func tag(_ text: String) -> hb_tag_t {
        text.utf8.reduce(0) { $0 << 8 | UInt32($1) }
    }
}

/// A subset font program and the renumbering from original to subset glyph ids.
struct FontSubset: Sendable {
    /// The subset TrueType font file (uncompressed).
    let fontProgram: [UInt8]
    /// Original glyph id → subset glyph id (the CID written in content streams).
    let newGlyphIDs: [UInt32: UInt16]
}

/// A font file mapped read-only and privately, unmapped when the last reference goes.
///
/// Mapped here rather than by `hb_blob_create_from_file`, which falls back to reading the file into the heap when it
/// cannot map it: only a mapping of the file can give its pages back with `MADV_DONTNEED` and read them again later.
package final class FontFileMapping: @unchecked Sendable {
    /// Start of the mapping; never written.
    package let base: UnsafeMutableRawPointer
    /// The file's size in bytes.
    package let length: Int

    /// Maps the file at `path`; nil when it cannot be opened or mapped, is empty or is 2 GiB or more (HarfBuzz's limit
    /// for a blob).
    init?(path: String) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0, status.st_size > 0, status.st_size < Int(Int32.max),
            let base = mmap(nil, Int(status.st_size), PROT_READ, MAP_PRIVATE, descriptor, 0), base != UnsafeMutableRawPointer(bitPattern: -1)
        else { return nil }
        self.base = base
        length = Int(status.st_size)
    }

    /// Drops this process's mapping of the pages read so far: they leave its resident memory, and a later read maps
    /// them again from the page cache (or the disk), with the same content, since the mapping is read-only.
    func releaseResidentPages() {
        _ = madvise(base, length, MADV_DONTNEED)
    }

    deinit {
        munmap(base, length)
    }
}
