/// The sizes a result document may have: one set, read by the renderer (which lays out up to these) and by every
/// request validator in front of it, so a request that passes validation never fails in the renderer on length.
public enum DocumentLimits {
    /// Characters of the district's name in the header.
    public static let districtName = 40
    /// Characters of the issuing department's name.
    public static let departmentName = 40
    /// Characters of the title (the matter's result name), set in 24 pt across the page.
    public static let matterName = 24
    /// Characters of the holder's name.
    public static let holderName = 32
    /// Characters of the holder's ID number as printed.
    public static let holderIDNumber = 32
    /// How many fields the table holds.
    public static let fields = 1...20
    /// Characters of a field's label (the table's left column).
    public static let fieldLabel = 16
    /// Characters of a field's value.
    public static let fieldValue = 400
    /// Days a document may be valid for (ten years at most).
    public static let validDays = 1...3650
}
