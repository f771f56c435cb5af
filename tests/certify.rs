//! `--certify` and `lina verify` as a user runs them: the certificate is written beside the
//! printed output, `verify` exits 0 on it, 1 on a tampered one (naming the failing obligation) and 2
//! on an unreadable file.

mod common;
use common::{json, run as lina};

fn temp(name: &str) -> String {
    let dir = std::env::temp_dir().join(format!("lina-certify-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name).to_string_lossy().into_owned()
}

#[test]
fn each_transformation_certifies_and_the_certificate_verifies() {
    let runs: [&[&str]; 5] = [
        &["jvp", "corpus/worked_example.la"],
        &[
            "vjp",
            "corpus/worked_example.la",
            "--policy",
            "recompute-all",
        ],
        &[
            "unzip",
            "corpus/linear/mixed_results.la",
            "--policy",
            "budget=1",
        ],
        &["transpose", "corpus/linear/unzipped_linear_b.la"],
        &["vjp", "corpus/long_chain.la"],
    ];
    for (i, args) in runs.iter().enumerate() {
        let cert = temp(&format!("c{i}.json"));
        let mut a = args.to_vec();
        a.extend(["--certify", cert.as_str()]);
        let r = lina(&a, None);
        assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
        // The printed output is the certificate's output program, and `lina check` accepts it.
        let c = json(&std::fs::read_to_string(&cert).unwrap());
        assert_eq!(c["output"].as_str().unwrap(), r.stdout, "{args:?}");
        let v = lina(&["verify", &cert, "--format", "json"], None);
        assert_eq!(v.code, 0, "{args:?}: {}{}", v.stdout, v.stderr);
        let v = json(&v.stdout);
        assert_eq!(v["ok"], true);
        assert_eq!(v["transformation"], args[0]);
        let claims = v["claims"].as_array().unwrap();
        assert!(!claims.is_empty(), "{args:?}");
        // Every claim decided by the kernel, long_chain's too (its transpose by the adjoint pairing, its
        // VJP as the composition of the stage claims): no `unknown`.
        let unknown = claims.iter().filter(|c| c["outcome"] != "proved").count();
        assert_eq!(unknown, 0, "{args:?}: {v}");
        assert_eq!(v["unknown"], 0);
        if args[0] == "vjp" {
            // The stages' claims, then the VJP's.
            let names: Vec<&str> = claims
                .iter()
                .map(|c| c["claim"].as_str().unwrap())
                .collect();
            for want in ["jvp-primal", "jvp-tangent", "unzip", "transpose", "vjp"] {
                assert!(names.contains(&want), "{args:?}: {names:?}");
            }
        }
    }
}

#[test]
fn a_tampered_certificate_is_rejected_with_the_failing_obligation() {
    let cert = temp("tamper.json");
    let r = lina(
        &["jvp", "corpus/worked_example.la", "--certify", &cert],
        None,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let mut c = json(&std::fs::read_to_string(&cert).unwrap());
    // A wrong derivative in the output (`cos` turned into `sin`), its claims still `proved`:
    // the kernel decides the tangent coefficient itself and finds it wrong.
    let out = c["output"].as_str().unwrap().replacen("cos(", "sin(", 1);
    assert_ne!(out, c["output"].as_str().unwrap());
    c["output"] = out.into();
    let bad = temp("tampered.json");
    std::fs::write(&bad, c.to_string()).unwrap();
    let v = lina(&["verify", &bad], None);
    assert_eq!(v.code, 1, "{}", v.stdout);
    assert!(
        v.stderr.contains("jvp-tangent") && v.stderr.contains("coefficient 0@"),
        "{}",
        v.stderr
    );
    let v = lina(&["verify", &bad, "--format", "json"], None);
    assert_eq!(v.code, 1);
    let e = json(&v.stdout);
    assert_eq!(e["ok"], false);
    assert_eq!(e["error"]["claim"], "f: jvp-tangent");
    assert_eq!(e["error"]["code"], "E0804");
}

#[test]
fn unreadable_or_malformed_certificates() {
    let v = lina(&["verify", "no/such/certificate.json"], None);
    assert_eq!(v.code, 2, "{}", v.stderr);
    let bad = temp("garbage.json");
    std::fs::write(&bad, "{\"schema\": \"lina-certificate/0\"}").unwrap();
    let v = lina(&["verify", &bad], None);
    assert_eq!(v.code, 1, "{}", v.stderr);
    // --certify cannot be combined with the λLL route, and an unwritable path is an I/O error.
    let r = lina(
        &[
            "vjp",
            "corpus/worked_example.la",
            "--route",
            "ll",
            "--certify",
            "x.json",
        ],
        None,
    );
    assert_eq!(r.code, 2);
    let r = lina(
        &[
            "jvp",
            "corpus/worked_example.la",
            "--certify",
            "/no/such/dir/c.json",
        ],
        None,
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
}
