//! Helpers shared by the integration tests.
#![allow(dead_code)]

use tokenmaxx::engine::RunResult;
use tokenmaxx::engine::metrics::WeekMetrics;
use tokenmaxx::model::Config;
use tokenmaxx::scenario::{self, Override, Scenario};

/// Loads a bundled scenario with `--set`-style overrides.
pub fn load(name: &str, sets: &[&str]) -> Scenario {
    let overrides: Vec<Override> = sets.iter().map(|s| Override::parse(s).unwrap()).collect();
    scenario::load(std::path::Path::new(&format!("scenarios/{name}.toml")), &overrides).unwrap()
}

fn close(a: f64, b: f64, what: &str) {
    let tol = 1e-9 * a.abs().max(b.abs()).max(1.0);
    assert!((a - b).abs() <= tol, "{what}: {a} != {b}");
}

/// `a` equals `b` to rounding of sums whose terms total `scale` in size.
fn close_to(a: f64, b: f64, scale: f64, what: &str) {
    let tol = 1e-12 * scale.max(1.0) * 64.0;
    assert!((a - b).abs() <= tol, "{what}: {a} != {b} (terms of size {scale})");
}

fn week_sum(r: &RunResult, f: impl Fn(&WeekMetrics) -> f64) -> f64 {
    r.weekly.iter().map(f).sum()
}

/// Checks every accounting identity of MODEL.md on one run.
pub fn check_identities(cfg: &Config, r: &RunResult) {
    let m = &r.metrics;
    // Tokens: per-tier counters, in/out split, totals.
    let tier_tokens: u64 = r
        .tokens_by_tier
        .iter()
        .flat_map(|l| l.iter())
        .map(|t| t[0] + t[1])
        .sum();
    assert_eq!(m.tokens, tier_tokens as f64, "tokens = sum over labs and tiers");
    assert_eq!(m.tokens, m.tokens_in + m.tokens_out, "tokens = in + out");
    // List cost = sum of tokens x list price, per lab and tier.
    let mut list = 0.0;
    for (lab, tiers) in cfg.labs.iter().zip(&r.tokens_by_tier) {
        for (model, t) in lab.models.iter().zip(tiers) {
            list += (t[0] as f64 * model.price_in + t[1] as f64 * model.price_out) * 1e-6;
        }
    }
    if cfg.technology.moves() {
        // Prices fall along the path: today's list cost is at most the
        // tokens at the starting prices.
        assert!(
            m.list_cost_usd <= list * (1.0 + 1e-12),
            "list cost <= tokens x starting prices"
        );
    } else {
        close(m.list_cost_usd, list, "list cost = tokens x prices");
    }
    // Value and spend by channel (third edition) add up to the totals, in
    // the run and in every week.
    // (Channels can be large and of both signs: rounding is measured
    // against their sizes, not against their sum.)
    let value_channels = |v: [f64; 8]| -> f64 { v.iter().sum::<f64>() };
    close_to(
        value_channels([
            m.value_tasks_usd,
            m.value_adoption_usd,
            m.value_learning_usd,
            m.value_spillover_usd,
            m.value_automation_usd,
            m.value_discovery_usd,
            m.value_busywork_usd,
            m.value_rework_usd,
        ]),
        m.value_usd,
        m.value_tasks_usd.abs()
            + m.value_adoption_usd.abs()
            + m.value_rework_usd.abs()
            + m.value_automation_usd.abs()
            + m.value_busywork_usd.abs()
            + m.value_learning_usd.abs()
            + m.value_spillover_usd.abs()
            + m.value_discovery_usd.abs(),
        "value = sum of its channels",
    );
    close(
        m.spend_tasks_usd + m.spend_busywork_usd + m.spend_automation_usd + m.breakage_usd,
        m.spend_usd,
        "spend = usage by channel + breakage",
    );
    for w in &r.weekly {
        close_to(
            value_channels([
                w.value_tasks_usd,
                w.value_adoption_usd,
                w.value_learning_usd,
                w.value_spillover_usd,
                w.value_automation_usd,
                w.value_discovery_usd,
                w.value_busywork_usd,
                w.value_rework_usd,
            ]),
            w.value_usd,
            w.value_tasks_usd.abs()
                + w.value_adoption_usd.abs()
                + w.value_rework_usd.abs()
                + w.value_automation_usd.abs()
                + w.value_busywork_usd.abs()
                + w.value_learning_usd.abs()
                + w.value_spillover_usd.abs()
                + w.value_discovery_usd.abs(),
            "weekly value = sum of its channels",
        );
    }
    close(
        week_sum(r, |w| w.value_discovery_usd),
        m.value_discovery_usd,
        "weekly discovery value",
    );
    close(
        week_sum(r, |w| w.value_adoption_usd),
        m.value_adoption_usd,
        "weekly adoption value",
    );
    close(
        week_sum(r, |w| w.spend_busywork_usd),
        m.spend_busywork_usd,
        "weekly busywork spend",
    );
    let employees: f64 = cfg.enterprises.iter().map(|e| f64::from(e.employees)).sum();
    assert!(m.adoptions <= employees && (0.0..=1.0).contains(&m.ai_users_share_final));
    if m.value_spillover_usd != 0.0 {
        assert!(
            cfg.learning.spillover_per_week > 0.0,
            "no spillover value without spillover"
        );
    }
    if m.value_discovery_usd != 0.0 {
        assert!(
            cfg.discovery.yield_per_run > 0.0,
            "no discovery value without discovery"
        );
    }
    close(
        m.spend_usd,
        m.usage_cost_usd + m.breakage_usd,
        "spend = usage cost + breakage",
    );
    close(
        m.discount_usd,
        m.list_cost_usd - m.usage_cost_usd,
        "discount = list - usage cost",
    );
    close(m.lab_revenue_usd, m.spend_usd, "lab revenue = enterprise spend");
    close(
        m.lab_margin_usd,
        m.lab_revenue_usd - m.serving_cost_usd,
        "margin = revenue - serving cost",
    );
    assert!(
        m.usage_cost_usd <= m.list_cost_usd * (1.0 + 1e-12),
        "discounts never raise the bill"
    );
    assert!(
        m.breakage_usd >= 0.0 && m.waste_usd >= m.breakage_usd,
        "waste includes breakage"
    );
    assert!(m.waste_usd <= m.spend_usd * (1.0 + 1e-12), "waste never exceeds spend");
    assert!(
        m.noise_tokens + m.performative_tokens <= m.tokens,
        "noise and performative tokens are tokens"
    );
    close(
        m.roi,
        if m.spend_usd > 0.0 {
            m.value_usd / m.spend_usd
        } else {
            0.0
        },
        "roi = value / spend",
    );
    // Weekly rows sum to the run totals.
    close(week_sum(r, |w| w.tokens), m.tokens, "weekly tokens");
    close(week_sum(r, |w| w.spend_usd), m.spend_usd, "weekly spend");
    close(week_sum(r, |w| w.list_cost_usd), m.list_cost_usd, "weekly list cost");
    close(week_sum(r, |w| w.usage_cost_usd), m.usage_cost_usd, "weekly usage cost");
    close(week_sum(r, |w| w.discount_usd), m.discount_usd, "weekly discount");
    close(week_sum(r, |w| w.breakage_usd), m.breakage_usd, "weekly breakage");
    close(week_sum(r, |w| w.value_usd), m.value_usd, "weekly value");
    close(week_sum(r, |w| w.waste_usd), m.waste_usd, "weekly waste");
    close(
        week_sum(r, |w| w.serving_cost_usd),
        m.serving_cost_usd,
        "weekly serving cost",
    );
    close(week_sum(r, |w| w.noise_tokens), m.noise_tokens, "weekly noise tokens");
    close(
        week_sum(r, |w| w.performative_tokens),
        m.performative_tokens,
        "weekly performative tokens",
    );
    close(week_sum(r, |w| w.tasks), m.tasks, "weekly tasks");
    close(week_sum(r, |w| w.decisions), m.decisions, "weekly decisions");
    assert_eq!(m.decisions, r.decisions as f64);
    for w in &r.weekly {
        close(
            w.spend_usd,
            w.usage_cost_usd + w.breakage_usd,
            "weekly spend = usage + breakage",
        );
        // Hours: every use within the week's hours, the rest other work.
        let used =
            w.hours_manual + w.hours_ai + w.hours_rework + w.hours_performative + w.hours_builds + w.hours_learning;
        close(
            w.hours_other,
            w.hours_available - used,
            "weekly hours: other = available - used",
        );
        assert!(
            w.hours_other >= -1e-9 * w.hours_available,
            "weekly hours used exceed hours available"
        );
    }
    // Hours: the week's hours of every employee, summed; uses never exceed them.
    let employees: f64 = cfg.enterprises.iter().map(|e| f64::from(e.employees)).sum();
    close(
        m.hours_available,
        cfg.employees.hours_per_week * employees * f64::from(cfg.weeks),
        "hours available = hours a week x employees x weeks",
    );
    for (name, f) in [
        (
            "available",
            (|w: &tokenmaxx::engine::metrics::WeekMetrics| w.hours_available) as fn(&_) -> f64,
        ),
        ("manual", |w| w.hours_manual),
        ("ai", |w| w.hours_ai),
        ("rework", |w| w.hours_rework),
        ("performative", |w| w.hours_performative),
        ("builds", |w| w.hours_builds),
        ("learning", |w| w.hours_learning),
        ("other", |w| w.hours_other),
    ] {
        let total = m.get(&format!("hours_{name}")).expect("an hours column");
        close(week_sum(r, f), total, &format!("weekly hours_{name}"));
        assert!(total >= 0.0, "hours_{name} is negative");
    }
    close(
        m.hours_other,
        m.hours_available
            - (m.hours_manual + m.hours_ai + m.hours_rework + m.hours_performative + m.hours_builds + m.hours_learning),
        "hours: other = available - used",
    );
    // Performative hours are launches x launch hours.
    close(
        m.hours_performative,
        m.performative_runs * cfg.performative.launch_hours,
        "performative hours = runs x launch hours",
    );
    close(
        m.hours_builds,
        m.automation_builds * cfg.automation.build_hours,
        "build hours = builds x build hours",
    );
    // Tasks: every arrival is done, dropped or still waiting.
    assert_eq!(
        m.tasks,
        m.tasks_done + m.tasks_dropped + m.tasks_backlog,
        "tasks = done + dropped + backlog"
    );
    close(week_sum(r, |w| w.tasks_done), m.tasks_done, "weekly tasks done");
    close(
        week_sum(r, |w| w.tasks_dropped),
        m.tasks_dropped,
        "weekly tasks dropped",
    );
    assert_eq!(r.weekly.last().map_or(0.0, |w| w.tasks_backlog), m.tasks_backlog);
    assert!(m.agent_tasks <= m.ai_tasks && m.frontier_tasks <= m.ai_tasks);
    // Value is the hours AI saved at the hourly cost times the share that
    // reaches the firm, plus quality gains and found use cases: with no
    // quality gains, exactly that.
    if cfg.task_types.iter().all(|t| t.quality_gain_usd == 0.0) {
        close(
            m.value_usd,
            m.hours_saved * cfg.employees.hourly_cost_usd * cfg.employees.value_capture + m.value_discovery_usd,
            "value = hours saved x hourly cost x capture + discovery",
        );
    }
    // Breakage per term: the lab's breakage share of the unused, prorated
    // commitment, billed in the term's last week (one enterprise only: the
    // weekly rows then carry its commitment).
    if cfg.enterprises.len() == 1 {
        let share = cfg.labs[cfg.enterprises[0].lab].breakage;
        for (t, term) in r.weekly.chunks(cfg.term_weeks as usize).enumerate() {
            let usage: f64 = term.iter().map(|w| w.usage_cost_usd).sum();
            let prorated = term[0].commitment_usd * term.len() as f64 / cfg.term_weeks as f64;
            let billed: f64 = term.iter().map(|w| w.breakage_usd).sum();
            close(
                billed,
                share * (prorated - usage).max(0.0),
                &format!("breakage of term {t}"),
            );
            assert!(
                term[..term.len() - 1].iter().all(|w| w.breakage_usd == 0.0),
                "breakage only at term end"
            );
        }
    }
    // Per-enterprise rows sum to the market totals.
    let ent = |f: &dyn Fn(&tokenmaxx::engine::metrics::EnterpriseMetrics) -> f64| -> f64 {
        r.enterprises.iter().map(|e| f(&e.metrics)).sum()
    };
    close(ent(&|e| e.tokens), m.tokens, "enterprise tokens");
    close(ent(&|e| e.spend_usd), m.spend_usd, "enterprise spend");
    close(ent(&|e| e.value_usd), m.value_usd, "enterprise value");
    close(ent(&|e| e.breakage_usd), m.breakage_usd, "enterprise breakage");
    close(ent(&|e| e.waste_usd), m.waste_usd, "enterprise waste");
    close(
        ent(&|e| e.commitment_final_usd),
        m.commitment_final_usd,
        "enterprise commitments",
    );
    close(
        ent(&|e| e.employees),
        cfg.enterprises.iter().map(|e| e.employees as f64).sum(),
        "employees",
    );
}
