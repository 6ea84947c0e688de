/// The XMP metadata packet of a result document, with the PDF/A-2u identification (ISO 19005-2, part 2, conformance U).
struct PDFAMetadata {
    /// dc:title.
    var title: String
    /// dc:creator: the issuing department.
    var author: String
    /// dc:description.
    var subject: String
    /// pdf:Producer and xmp:CreatorTool.
    var producer: String
    /// xmp:CreateDate / ModifyDate / MetadataDate, ISO 8601 with offset.
    var createDate: String
    /// xmpMM:DocumentID and InstanceID (`uuid:…`).
    var documentID: String

    /// The UTF-8 packet, with padding for in-place edits as is customary.
    func xmpPacket() -> [UInt8] {
        let x = MarkupEscaping.escape
        let packet = """
        <?xpacket begin="\u{FEFF}" id="W5M0MpCehiHzreSzNTczkc9d"?>
        <x:xmpmeta xmlns:x="adobe:ns:meta/">
        <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
        <rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/" xmlns:dc="http://purl.org/dc/elements/1.1/" \
        xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:pdf="http://ns.adobe.com/pdf/1.3/" xmlns:xmpMM="http://ns.adobe.com/xap/1.0/mm/">
        <pdfaid:part>2</pdfaid:part>
        <pdfaid:conformance>U</pdfaid:conformance>
        <dc:format>application/pdf</dc:format>
        <dc:title><rdf:Alt><rdf:li xml:lang="x-default">\(x(title))</rdf:li></rdf:Alt></dc:title>
        <dc:creator><rdf:Seq><rdf:li>\(x(author))</rdf:li></rdf:Seq></dc:creator>
        <dc:description><rdf:Alt><rdf:li xml:lang="x-default">\(x(subject))</rdf:li></rdf:Alt></dc:description>
        <xmp:CreateDate>\(x(createDate))</xmp:CreateDate>
        <xmp:ModifyDate>\(x(createDate))</xmp:ModifyDate>
        <xmp:MetadataDate>\(x(createDate))</xmp:MetadataDate>
        <xmp:CreatorTool>\(x(producer))</xmp:CreatorTool>
        <pdf:Producer>\(x(producer))</pdf:Producer>
        <xmpMM:DocumentID>\(x(documentID))</xmpMM:DocumentID>
        <xmpMM:InstanceID>\(x(documentID))</xmpMM:InstanceID>
        </rdf:Description>
        </rdf:RDF>
        </x:xmpmeta>

        """
        let padding = String(repeating: String(repeating: " ", count: 99) + "\n", count: 20)
        return Array((packet + padding + "<?xpacket end=\"w\"?>").utf8)
    }
}

/// Escaping for XML and HTML text and attribute values (`&`, `<`, `>`, `"`, `'`).
public enum MarkupEscaping {
    /// `text` with the five markup-significant characters replaced by entities.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}
