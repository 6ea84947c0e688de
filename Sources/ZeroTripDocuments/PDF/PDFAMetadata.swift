/// The XMP metadata of a result document, written as the catalog's `/Metadata` stream, with the PDF/A-2u
/// identification (ISO 19005-2, part 2, conformance U).
///
/// The packet carries the PDF/A identification schema (`pdfaid:part`, `pdfaid:conformance`), Dublin Core
/// (`dc:format`, `dc:title`, `dc:creator`, `dc:description`), XMP basic (`xmp:CreateDate`, `xmp:ModifyDate`,
/// `xmp:MetadataDate`, `xmp:CreatorTool`), Adobe PDF (`pdf:Producer`) and XMP media management (`xmpMM:DocumentID`,
/// `xmpMM:InstanceID`) properties. The document is written once and never edited, so the three dates are the same
/// and the instance ID is the document ID.
struct PDFAMetadata {
    /// `dc:title`: the document's title, e.g. the matter's name.
    let title: String
    /// `dc:creator`: the issuing department's name, the only entry of the ordered array.
    let author: String
    /// `dc:description`: a one-line description of the document.
    let subject: String
    /// `pdf:Producer` and `xmp:CreatorTool`: the software that wrote the file.
    let producer: String
    /// `xmp:CreateDate`, `xmp:ModifyDate` and `xmp:MetadataDate`: ISO 8601 with a UTC offset,
    /// e.g. `2026-11-22T10:00:00+08:00`.
    let createDate: String
    /// `xmpMM:DocumentID` and `xmpMM:InstanceID`: a `uuid:` URN.
    let documentID: String

    /// The packet ID every XMP packet wrapper uses (XMP Specification Part 1, §7.3.2).
    private static let packetID = "W5M0MpCehiHzreSzNTczkc9d"

    /// The complete XMP packet as UTF-8 bytes: the `<?xpacket begin="\u{FEFF}" …?>` header (with its byte-order mark),
    /// the `x:xmpmeta` element, about 2 KB of whitespace padding for in-place edits, as is customary, and the
    /// writable `<?xpacket end="w"?>` trailer.
    ///
    /// Values are written as UTF-8 (Chinese text included) with `&`, `<`, `>`, `"` and `'` escaped; characters that
    /// XML 1.0 does not allow (C0 controls other than tab, line feed and carriage return, U+FFFE, U+FFFF) are dropped
    /// so the packet stays well-formed.
    func xmpPacket() -> [UInt8] {
        func x(_ value: String) -> String { MarkupEscaping.escape(Self.xmlCharacters(value)) }
        let packet = """
            <?xpacket begin="\u{FEFF}" id="\(Self.packetID)"?>
            <x:xmpmeta xmlns:x="adobe:ns:meta/">
             <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
              <rdf:Description rdf:about=""
                xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/">
               <pdfaid:part>2</pdfaid:part>
               <pdfaid:conformance>U</pdfaid:conformance>
              </rdf:Description>
              <rdf:Description rdf:about=""
                xmlns:dc="http://purl.org/dc/elements/1.1/">
               <dc:format>application/pdf</dc:format>
               <dc:title><rdf:Alt><rdf:li xml:lang="x-default">\(x(title))</rdf:li></rdf:Alt></dc:title>
               <dc:creator><rdf:Seq><rdf:li>\(x(author))</rdf:li></rdf:Seq></dc:creator>
               <dc:description><rdf:Alt><rdf:li xml:lang="x-default">\(x(subject))</rdf:li></rdf:Alt></dc:description>
              </rdf:Description>
              <rdf:Description rdf:about=""
                xmlns:xmp="http://ns.adobe.com/xap/1.0/">
               <xmp:CreateDate>\(x(createDate))</xmp:CreateDate>
               <xmp:ModifyDate>\(x(createDate))</xmp:ModifyDate>
               <xmp:MetadataDate>\(x(createDate))</xmp:MetadataDate>
               <xmp:CreatorTool>\(x(producer))</xmp:CreatorTool>
              </rdf:Description>
              <rdf:Description rdf:about=""
                xmlns:pdf="http://ns.adobe.com/pdf/1.3/">
               <pdf:Producer>\(x(producer))</pdf:Producer>
              </rdf:Description>
              <rdf:Description rdf:about=""
                xmlns:xmpMM="http://ns.adobe.com/xap/1.0/mm/">
               <xmpMM:DocumentID>\(x(documentID))</xmpMM:DocumentID>
               <xmpMM:InstanceID>\(x(documentID))</xmpMM:InstanceID>
              </rdf:Description>
             </rdf:RDF>
            </x:xmpmeta>

            """
        // 20 lines of 99 spaces and a newline: 2,000 bytes.
        let padding = String(repeating: String(repeating: " ", count: 99) + "\n", count: 20)
        return Array((packet + padding + "<?xpacket end=\"w\"?>").utf8)
    }

    /// `text` without the characters XML 1.0 forbids (§2.2 `Char`); Swift strings hold no surrogates.
    private static func xmlCharacters(_ text: String) -> String {
        var scalars = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x09, 0x0A, 0x0D, 0x20...0xFFFD, 0x1_0000...: scalars.append(scalar)
            default: continue
            }
        }
        return String(scalars)
    }
}

/// Escaping for XML and HTML text and attribute values (`&`, `<`, `>`, `"`, `'`).
public enum MarkupEscaping {
    /// `text` with the five markup-significant characters replaced by entities.
    ///
    /// Works on Unicode scalars, not characters, so a `<` or `&` followed by a combining mark (one grapheme
    /// cluster) is still escaped.
    public static func escape(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out.append(contentsOf: "&amp;".unicodeScalars)
            case "<": out.append(contentsOf: "&lt;".unicodeScalars)
            case ">": out.append(contentsOf: "&gt;".unicodeScalars)
            case "\"": out.append(contentsOf: "&quot;".unicodeScalars)
            case "'": out.append(contentsOf: "&#39;".unicodeScalars)
            default: out.append(scalar)
            }
        }
        return String(out)
    }
}
