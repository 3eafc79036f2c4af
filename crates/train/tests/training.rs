//! The adapter's objective has the gradient autograd says it has, and a few training
//! steps on a tiny synthetic retrieval problem lower the loss and raise dev recall.

use candle_core::{Device, Tensor, Var};
use esci_core::rng::SplitMix64;
use esci_core::{EsciLabel, Split};
use esci_eval::QueryJudgments;
use esci_train::Projection;
use esci_train::adapter::{AdapterConfig, AdapterData, adapter_loss, train_adapter};
use esci_train::pairs::Pair;

fn gaussian_rows(rng: &mut SplitMix64, n: usize, d: usize) -> Vec<f64> {
    (0..n * d).map(|_| rng.unit() * 2.0 - 1.0).collect()
}

/// Central differences on every entry of a 6×6 map, in f64, against `backward`.
#[test]
fn gradient_matches_finite_differences() {
    let d = 6;
    let mut rng = SplitMix64::new(11);
    let dev = Device::Cpu;
    let t = |v: Vec<f64>, n: usize| Tensor::from_vec(v, (n, d), &dev).unwrap();
    let q = t(gaussian_rows(&mut rng, 4, d), 4);
    let c = t(gaussian_rows(&mut rng, 6, d), 6);
    let prod = t(gaussian_rows(&mut rng, 5, d), 5);
    let unit = esci_train::loss::normalize_rows(&prod).unwrap();
    let target = unit.matmul(&unit.t().unwrap()).unwrap();
    let mut mask = vec![0.0f64; 4 * 6];
    mask[1] = 1.0; // query 0 ignores candidate 1
    let mask = Tensor::from_vec(mask, (4, 6), &dev).unwrap();
    let config = AdapterConfig {
        dims: vec![6, 4, 2],
        dim_weights: vec![1.0, 0.5, 2.0],
        scale: 5.0,
        preserve_weight: 0.7,
        ..AdapterConfig::default()
    };
    let w0 = gaussian_rows(&mut rng, d, d);
    let loss_at = |w: &[f64]| -> f64 {
        let w = Tensor::from_vec(w.to_vec(), (d, d), &dev).unwrap();
        adapter_loss(&w, &q, &c, Some(&mask), Some((&prod, &target)), &config)
            .unwrap()
            .to_scalar::<f64>()
            .unwrap()
    };
    let var = Var::from_tensor(&Tensor::from_vec(w0.clone(), (d, d), &dev).unwrap()).unwrap();
    let loss = adapter_loss(
        var.as_tensor(),
        &q,
        &c,
        Some(&mask),
        Some((&prod, &target)),
        &config,
    )
    .unwrap();
    let grads = loss.backward().unwrap();
    let g: Vec<f64> = grads
        .get(&var)
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1()
        .unwrap();
    let h = 1e-6;
    let mut max_err = 0.0f64;
    for i in 0..d * d {
        let (mut plus, mut minus) = (w0.clone(), w0.clone());
        plus[i] += h;
        minus[i] -= h;
        let numeric = (loss_at(&plus) - loss_at(&minus)) / (2.0 * h);
        max_err = max_err.max((numeric - g[i]).abs() / (numeric.abs().max(g[i].abs()).max(1e-3)));
    }
    assert!(max_err < 1e-5, "max relative gradient error {max_err}");
    assert!(
        g.iter().any(|x| x.abs() > 1e-6),
        "the gradient is not all zero"
    );
}

/// Products are random unit vectors; each query is its product seen through a fixed
/// random mixing of the first and last components plus noise, so the identity map ranks
/// poorly at short prefixes and a learned map can do better.
struct Toy {
    dim: usize,
    products: Vec<f32>,
    queries: Vec<f32>,
    pairs: Vec<Pair>,
    positives: Vec<Vec<u32>>,
    dev_queries: Vec<f32>,
    dev: Vec<QueryJudgments>,
}

fn toy() -> Toy {
    let (dim, n_products) = (16, 400);
    let mut rng = SplitMix64::new(5);
    let unit = |v: Vec<f64>| {
        let n = v.iter().map(|x| x * x).sum::<f64>().sqrt();
        v.into_iter().map(|x| (x / n) as f32).collect::<Vec<f32>>()
    };
    let mut products = Vec::new();
    for _ in 0..n_products {
        products.extend(unit(gaussian_rows(&mut rng, 1, dim)));
    }
    // query = reversed product + noise: the information sits in the "wrong" prefix.
    let make_query = |doc: usize, rng: &mut SplitMix64| {
        let p = &products[doc * dim..(doc + 1) * dim];
        let v: Vec<f64> = (0..dim)
            .map(|k| f64::from(p[dim - 1 - k]) + 0.05 * (rng.unit() * 2.0 - 1.0))
            .collect();
        unit(v)
    };
    let (mut queries, mut pairs, mut positives) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..300 {
        queries.extend(make_query(i, &mut rng));
        pairs.push(Pair {
            query: i,
            doc: i as u32,
        });
        positives.push(vec![i as u32]);
    }
    let (mut dev_queries, mut dev) = (Vec::new(), Vec::new());
    for i in 300..n_products {
        dev_queries.extend(make_query(i, &mut rng));
        dev.push(QueryJudgments {
            query_id: i.to_string(),
            query: String::new(),
            split: Split::Train,
            labels: vec![(i as u32, EsciLabel::Exact)],
        });
    }
    Toy {
        dim,
        products,
        queries,
        pairs,
        positives,
        dev_queries,
        dev,
    }
}

#[test]
fn a_few_steps_lower_the_loss_and_raise_dev_recall() {
    let toy = toy();
    let data = AdapterData {
        dim: toy.dim,
        products: &toy.products,
        queries: &toy.queries,
        pairs: &toy.pairs,
        positives: &toy.positives,
        dev_queries: &toy.dev_queries,
        dev: &toy.dev,
    };
    let config = AdapterConfig {
        dims: vec![16, 8, 4],
        dim_weights: vec![1.0; 3],
        lr: 3e-2,
        batch_size: 32,
        epochs: 10,
        warmup_steps: 5,
        extra_negatives: 16,
        preserve_batch: 32,
        preserve_weight: 0.1,
        residual: false,
        patience: 10,
        dev_k: 5,
        ..AdapterConfig::default()
    };
    let init = Projection::identity(toy.dim, "toy-model").unwrap();
    let (projection, report) = train_adapter(&data, &init, &config, "adapter").unwrap();
    let losses: Vec<f64> = report
        .history
        .iter()
        .skip(1)
        .map(|p| p.train_loss)
        .collect();
    assert!(losses.len() >= 2, "{report:?}");
    assert!(
        losses.last().unwrap() < &(losses[0] * 0.8),
        "loss did not fall: {losses:?}"
    );
    assert!(
        report.best_score > report.history[0].score + 0.1,
        "{report:?}"
    );
    assert_eq!(projection.base_model(), "toy-model");
    assert_eq!((projection.d_in(), projection.d_out()), (16, 16));
    // Same seed, same map.
    let (again, _) = train_adapter(&data, &init, &config, "adapter").unwrap();
    assert_eq!(again.fingerprint(), projection.fingerprint());
}
