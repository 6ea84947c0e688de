// swift-tools-version:6.2
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    // Zero warnings is a rule here: a warning in our targets fails the build (SE-0443; not an unsafe flag, so a
    // package that depends on ZeroTrip still builds, and dependencies' own warnings are not affected).
    .treatAllWarnings(as: .error),
]

let package = Package(
    name: "ZeroTrip",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "zerotrip", targets: ["zerotrip"]),
        .library(name: "ZeroTripCrypto", targets: ["ZeroTripCrypto"]),
        .library(name: "ZeroTripDocuments", targets: ["ZeroTripDocuments"]),
        .library(name: "ZeroTrip", targets: ["ZeroTrip"]),
        .library(name: "ZeroTripServer", targets: ["ZeroTripServer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        // HTTP request/response parts as Hummingbird's pipeline carries them (the connection governor's handler).
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.34.1"),
        // YAML (and JSON) catalogue and policy files with line numbers in every error.
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        // The PostgreSQL engine (several daemons on one shared database).
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        // HTTP field types (Set-Cookie fields of the pages), already in the graph through Hummingbird.
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.0.0"),
        // Server-rendered pages for applicants and clerks (templates compiled into the binary).
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
    ],
    targets: [
        // System libraries: one per C library, each imported by exactly one Swift target.
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"])]
        ),
        // PKCS#11 tokens (HSMs, USB keys, SoftHSM): the header only; each token's module is dlopen'ed at run time.
        .systemLibrary(
            name: "CPKCS11",
            pkgConfig: "p11-kit-1",
            providers: [.apt(["libp11-kit-dev"])]
        ),
        .systemLibrary(
            name: "CQREncode",
            pkgConfig: "libqrencode",
            providers: [.apt(["libqrencode-dev"])]
        ),
        .systemLibrary(
            name: "CHarfBuzz",
            pkgConfig: "harfbuzz-subset",
            providers: [.apt(["libharfbuzz-dev"])]
        ),
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),

        // The only importer of COpenSSL.
        .target(
            name: "ZeroTripCrypto",
            dependencies: ["COpenSSL", "CPKCS11"],
            swiftSettings: swiftSettings
        ),
        // The only importer of CQREncode, CHarfBuzz and CZlib: PDF, fonts, QR, tokens.
        .target(
            name: "ZeroTripDocuments",
            dependencies: ["CQREncode", "CHarfBuzz", "CZlib", "ZeroTripCrypto"],
            swiftSettings: swiftSettings
        ),
        // Domain: departments, PKI on disk, credentials, audit log, storage. Never imports HTTP.
        .target(
            name: "ZeroTrip",
            dependencies: [
                "ZeroTripCrypto",
                "ZeroTripDocuments",
                .product(name: "GRDB", package: "GRDB.swift"),
                // SQLite's C API, for binding statement arguments straight from `SQLValue`s (SQLiteBinding.swift alone).
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // HTTP: routes, authentication, error → status mapping.
        .target(
            name: "ZeroTripServer",
            dependencies: [
                "ZeroTrip",
                "ZeroTripCrypto",
                "ZeroTripDocuments",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "zerotrip",
            dependencies: [
                "ZeroTrip",
                "ZeroTripServer",
                "ZeroTripCrypto",
                "ZeroTripDocuments",
                .product(name: "GRDB", package: "GRDB.swift"),
                // `bench http` runs a bare Hummingbird router beside the daemon for the ratios.
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        // Runs the independent validators (openssl, pyHanko, pdfsig, qpdf, poppler, zxing-cpp) for the tests.
        .target(
            name: "ZeroTripTestSupport",
            path: "Tests/TestSupport",
            swiftSettings: swiftSettings
        ),
        // Walks the identity paths for the domain and server tests.
        .target(
            name: "ZeroTripDomainTestSupport",
            dependencies: ["ZeroTrip", "ZeroTripCrypto"],
            path: "Tests/DomainSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ZeroTripCryptoTests",
            dependencies: ["ZeroTripCrypto", "ZeroTripTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ZeroTripTests",
            dependencies: [
                "ZeroTrip", "ZeroTripCrypto", "ZeroTripDocuments", "ZeroTripTestSupport", "ZeroTripDomainTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
                // The load tests drive the real daemon with Hummingbird's NIO test client.
                .product(name: "HummingbirdTesting", package: "hummingbird"), .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ZeroTripServerTests",
            dependencies: [
                "ZeroTripServer",
                "ZeroTrip",
                "ZeroTripCrypto",
                "ZeroTripDocuments",
                "ZeroTripTestSupport",
                "ZeroTripDomainTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                // The connection governor's test drives its handler in an embedded channel.
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"), .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: swiftSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
