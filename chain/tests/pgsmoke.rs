#[path = "support/postgres.rs"]
mod pg;
#[test]
fn smoke() {
    let t = std::time::Instant::now();
    let s = pg::PgServer::start();
    println!("start {:?}", t.elapsed());
    let t = std::time::Instant::now();
    let url = s.database();
    println!("db {:?} {url}", t.elapsed());
    let t = std::time::Instant::now();
    let loc = chain::Location::parse(&url).unwrap();
    let store = loc.open(Default::default()).unwrap();
    println!("open {:?} {:?}", t.elapsed(), store.tip_state().unwrap().tip.height);
}
