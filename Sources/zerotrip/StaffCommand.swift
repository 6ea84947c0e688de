import ArgumentParser
import ZeroTrip
import ZeroTripDocuments

/// `zerotrip staff`: the supervision directory (who reviews, who supervises, where their notices go).
struct StaffCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "staff",
        abstract:
            "The staff directory for supervision (督办): a review waiting past the policy's limit sends an SMS to its reviewer, later to the department's supervisors.",
        subcommands: [Add.self, List.self, Remove.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a staff member, or replace the entry with the same department and clerk number.",
            discussion: "Example: zerotrip staff add --department GAJ --clerk GA-0042 --name 赵文静 --phone 13900000042 --role reviewer")
        @OptionGroup var location: LocationOptions
        @Option(name: .long, help: "Department code, e.g. GAJ.") var department: String
        @Option(name: .long, help: "Clerk number (工号), as at window sign-in, e.g. GA-0042.") var clerk: String
        @Option(name: .long, help: "Name.") var name: String
        @Option(name: .long, help: "11-digit mobile number the notices go to.") var phone: String
        @Option(name: .long, help: "reviewer or supervisor.") var role: String = "reviewer"

        func run() async throws {
            try await reportingErrors {
                guard let role = StaffRole(rawValue: role) else { throw ZeroTripError(.invalidInput, "role must be reviewer or supervisor") }
                let member = try await location.services().supervision.putStaff(
                    department: department, clerk: clerk, name: name, phone: phone,
                    role: role, actor: cliActor)
                print("\(member.department) \(member.clerk) \(member.name) (\(member.role.rawValue), \(PersonalDataMask.phone(member.phone)))")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the directory (numbers masked; a table, --json for scripts).")
        @OptionGroup var location: LocationOptions
        @Option(name: .long, help: "Only this department.") var department: String?
        @Flag(name: .long, help: "JSON, one object per staff member (numbers masked as in the table).") var json = false
        func run() async throws {
            try await reportingErrors {
                let staff = try await location.services().supervision.staff(department: department)
                if json {
                    struct Row: Encodable { var department, clerk, role, phone, name: String }
                    return try printJSON(
                        staff.map {
                            Row(
                                department: $0.department, clerk: $0.clerk, role: $0.role.rawValue, phone: PersonalDataMask.phone($0.phone),
                                name: $0.name)
                        })
                }
                print(
                    formatTable(
                        ["DEPARTMENT", "CLERK", "ROLE", "PHONE", "NAME"],
                        staff.map {
                            [$0.department, $0.clerk, $0.role.rawValue, PersonalDataMask.phone($0.phone), $0.name]
                        }))
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a staff member (who left, or changed department).")
        @OptionGroup var location: LocationOptions
        @Option(name: .long, help: "Department code.") var department: String
        @Option(name: .long, help: "Clerk number.") var clerk: String
        func run() async throws {
            try await reportingErrors {
                try await location.services().supervision.removeStaff(department: department, clerk: clerk, actor: cliActor)
                print("removed \(department.uppercased()) \(clerk)")
            }
        }
    }
}
