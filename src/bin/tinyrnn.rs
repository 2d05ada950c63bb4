//! `tinyrnn`: run, inspect, benchmark and bake trained recurrent models.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand};
use tinyrnn::activation::{Activation, ActivationKind};
use tinyrnn::host::bake::{architecture, bake_model_file, footprint};
use tinyrnn::host::io::load_model;
use tinyrnn::host::{LayerSpec, Model, ModelSpec};
use tinyrnn::train::command::{grad_command, train_command, TrainOptions};
use tinyrnn::{Exact, Fast};

#[derive(Parser)]
#[command(name = "tinyrnn", version, about = "Run, inspect, benchmark and bake small recurrent networks")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a model over an input file, one step per frame, from the model's initial state.
    Infer {
        /// Model file (PyTorch safetensors, RTNeural JSON, amp-modelling JSON, NAM).
        #[arg(long)]
        model: PathBuf,
        /// (T, I) float32 .npy, or a mono WAV file for 1-input models.
        #[arg(long)]
        input: PathBuf,
        /// (T, O) float32 .npy; a WAV file when the input is one.
        #[arg(long)]
        output: PathBuf,
        /// Use libm's tanh and sigmoid (PyTorch-exact) instead of the fast ones.
        #[arg(long)]
        exact: bool,
    },
    /// Write Rust source with the weights as const arrays (see the README's "Baking").
    Bake {
        /// Model file.
        model: PathBuf,
        /// Output .rs file.
        #[arg(short, long)]
        output: PathBuf,
        /// Fail if the output file differs from what would be written (for CI).
        #[arg(long)]
        check: bool,
        /// Bake with libm's tanh and sigmoid.
        #[arg(long)]
        exact: bool,
    },
    /// Print layers, sizes, parameters, flash and RAM bytes, MACs per step.
    Info {
        /// Model file.
        model: PathBuf,
    },
    /// Train a model on one recording (cut into segments, truncated BPTT, Adam, ESR);
    /// writes a safetensors state_dict and a loss plot (.svg) beside it.
    Train {
        /// (T, I) float32 .npy or mono WAV.
        #[arg(long)]
        input: PathBuf,
        /// (T, O) float32 .npy or mono WAV.
        #[arg(long)]
        target: PathBuf,
        /// lstm, gru, rnn, rnn-relu, cifg.
        #[arg(long, default_value = "lstm")]
        cell: String,
        #[arg(long, default_value_t = 16)]
        hidden: usize,
        #[arg(long, default_value_t = 1)]
        layers: usize,
        /// Residual from the input to the output (amp models).
        #[arg(long)]
        skip: bool,
        #[arg(long, default_value_t = 50)]
        epochs: usize,
        #[arg(long, default_value_t = 0)]
        seed: u64,
        #[arg(long, default_value_t = 5e-3)]
        lr: f32,
        /// Fraction of the recording held out for validation (early stopping).
        #[arg(long, default_value_t = 0.1)]
        val_split: f32,
        /// esr (pre-emphasis 0.85), esr-plain, mse.
        #[arg(long, default_value = "esr")]
        loss: String,
        /// Fine-tune this model file instead of a fresh one.
        #[arg(long)]
        init: Option<PathBuf>,
        /// Train with libm's tanh and sigmoid instead of the fast ones the deployed layers use.
        #[arg(long)]
        exact: bool,
        /// Output model (.safetensors).
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Write the full-BPTT gradient of mean((y − target)²) under the model's tensor names.
    Grad {
        #[arg(long)]
        model: PathBuf,
        #[arg(long)]
        input: PathBuf,
        #[arg(long)]
        target: PathBuf,
        /// Output .safetensors.
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Measure ns per step and the real-time factor at 48 kHz.
    Bench {
        /// Model file.
        model: PathBuf,
        /// Use libm's tanh and sigmoid.
        #[arg(long)]
        exact: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tinyrnn: {e}");
            ExitCode::FAILURE
        }
    }
}

type Result<T> = std::result::Result<T, String>;

fn activation(exact: bool) -> ActivationKind {
    if exact {
        ActivationKind::Exact
    } else {
        ActivationKind::Fast
    }
}

fn load(path: &Path) -> Result<ModelSpec> {
    load_model(path).map_err(|e| e.to_string())
}

fn run(command: Command) -> Result<()> {
    match command {
        Command::Infer { model, input, output, exact } => {
            let spec = load(&model)?;
            match activation(exact) {
                ActivationKind::Exact => infer::<Exact>(&spec, &input, &output),
                ActivationKind::Fast => infer::<Fast>(&spec, &input, &output),
            }
        }
        Command::Bake { model, output, check, exact } => {
            let source = bake_model_file(&model, activation(exact)).map_err(|e| e.to_string())?;
            if check {
                let current = std::fs::read_to_string(&output).map_err(|e| format!("{}: {e}", output.display()))?;
                if current != source {
                    return Err(format!(
                        "{}: stale: it differs from baking {} (rerun without --check)",
                        output.display(),
                        model.display()
                    ));
                }
                println!("{}: up to date", output.display());
            } else {
                std::fs::write(&output, source).map_err(|e| format!("{}: {e}", output.display()))?;
                println!("{}: written", output.display());
            }
            Ok(())
        }
        Command::Info { model } => {
            let spec = load(&model)?;
            info(&model, &spec);
            Ok(())
        }
        Command::Train {
            input,
            target,
            cell,
            hidden,
            layers,
            skip,
            epochs,
            seed,
            lr,
            val_split,
            loss,
            init,
            exact,
            output,
        } => {
            let (x, ni) = read_series(&input)?;
            let (y, no) = read_series(&target)?;
            let opts = TrainOptions {
                cell,
                hidden,
                layers,
                skip,
                init_model: init,
                epochs,
                seed,
                lr,
                val_split,
                loss,
                ..TrainOptions::default()
            };
            let out = if exact {
                train_command::<Exact>(&x, ni, &y, no, &opts, &output)
            } else {
                train_command::<Fast>(&x, ni, &y, no, &opts, &output)
            }
            .map_err(|e| e.to_string())?;
            let last = out.report.epochs.get(out.report.best_epoch).copied();
            println!(
                "{}: best epoch {} (validation {:.6}), {:.0} samples/s; loss plot {}",
                output.display(),
                out.report.best_epoch + 1,
                last.and_then(|e| e.val_loss).unwrap_or(f64::NAN),
                out.report.samples_per_second,
                out.plot.display()
            );
            Ok(())
        }
        Command::Grad { model, input, target, output } => {
            let (x, _) = read_series(&input)?;
            let (y, _) = read_series(&target)?;
            let loss = grad_command::<Exact>(&model, &x, &y, &output).map_err(|e| e.to_string())?;
            println!("{}: gradients of loss {loss:.7}", output.display());
            Ok(())
        }
        Command::Bench { model, exact } => {
            let spec = load(&model)?;
            match activation(exact) {
                ActivationKind::Exact => bench::<Exact>(&spec),
                ActivationKind::Fast => bench::<Fast>(&spec),
            }
        }
    }
}

fn is_wav(path: &Path) -> bool {
    path.extension().is_some_and(|e| e.eq_ignore_ascii_case("wav"))
}

/// A (T, F) .npy or mono WAV file: values and F.
fn read_series(path: &Path) -> Result<(Vec<f32>, usize)> {
    if is_wav(path) {
        Ok((read_wav(path)?.0, 1))
    } else {
        let (_, f, x) = read_npy(path)?;
        Ok((x, f))
    }
}

/// A (T, F) float32 .npy file.
fn read_npy(path: &Path) -> Result<(usize, usize, Vec<f32>)> {
    let err = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    let bytes = std::fs::read(path).map_err(|e| err(&e))?;
    let npy = npyz::NpyFile::new(&bytes[..]).map_err(|e| err(&e))?;
    let shape = npy.shape().to_vec();
    let (t, f) = match shape[..] {
        [t] => (t as usize, 1),
        [t, f] => (t as usize, f as usize),
        _ => return Err(format!("{}: expected a (T, features) array, found shape {shape:?}", path.display())),
    };
    match npy.dtype() {
        npyz::DType::Plain(d) if d.type_char() == npyz::TypeChar::Float && d.size_field() == 4 => {}
        other => return Err(format!("{}: expected float32 data, found {}", path.display(), other.descr())),
    }
    let data = npy.into_vec::<f32>().map_err(|e| err(&e))?;
    Ok((t, f, data))
}

fn write_npy(path: &Path, rows: usize, cols: usize, data: &[f32]) -> Result<()> {
    let err = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    let file = std::fs::File::create(path).map_err(|e| err(&e))?;
    use npyz::WriterBuilder as _;
    let mut w = npyz::WriteOptions::<f32>::new()
        .default_dtype()
        .shape(&[rows as u64, cols as u64])
        .writer(std::io::BufWriter::new(file))
        .begin_nd()
        .map_err(|e| err(&e))?;
    w.extend(data.iter().copied()).map_err(|e| err(&e))?;
    w.finish().map_err(|e| err(&e))
}

fn read_wav(path: &Path) -> Result<(Vec<f32>, hound::WavSpec)> {
    let err = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    let mut reader = hound::WavReader::open(path).map_err(|e| err(&e))?;
    let spec = reader.spec();
    if spec.channels != 1 {
        return Err(format!("{}: expected a mono WAV file, found {} channels", path.display(), spec.channels));
    }
    let samples: std::result::Result<Vec<f32>, _> = match spec.sample_format {
        hound::SampleFormat::Float => reader.samples::<f32>().collect(),
        hound::SampleFormat::Int => {
            let scale = 1.0 / (1u64 << (spec.bits_per_sample - 1)) as f32;
            reader.samples::<i32>().map(|s| s.map(|v| v as f32 * scale)).collect()
        }
    };
    Ok((samples.map_err(|e| err(&e))?, spec))
}

fn write_wav(path: &Path, sample_rate: u32, data: &[f32]) -> Result<()> {
    let err = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    let spec =
        hound::WavSpec { channels: 1, sample_rate, bits_per_sample: 32, sample_format: hound::SampleFormat::Float };
    let mut w = hound::WavWriter::create(path, spec).map_err(|e| err(&e))?;
    for &s in data {
        w.write_sample(s).map_err(|e| err(&e))?;
    }
    w.finalize().map_err(|e| err(&e))
}

fn infer<A: Activation>(spec: &ModelSpec, input: &Path, output: &Path) -> Result<()> {
    let mut model = Model::<A>::from_spec(spec).map_err(|e| e.to_string())?;
    let (i, o) = (model.input_size(), model.output_size());
    if is_wav(input) {
        if i != 1 || o != 1 {
            return Err(format!("{}: WAV input needs a 1-in/1-out model, this one is {i}-in/{o}-out", input.display()));
        }
        let (x, wav) = read_wav(input)?;
        let mut y = vec![0.0; x.len()];
        model.process_block(&x, &mut y);
        write_wav(output, wav.sample_rate, &y)?;
        println!("{}: {} samples", output.display(), y.len());
    } else {
        let (t, f, x) = read_npy(input)?;
        if f != i {
            return Err(format!("{}: frames have {f} values, the model takes {i}", input.display()));
        }
        let mut y = vec![0.0; t * o];
        model.process_block(&x, &mut y);
        write_npy(output, t, o, &y)?;
        println!("{}: ({t}, {o}) float32", output.display());
    }
    Ok(())
}

fn info(path: &Path, spec: &ModelSpec) {
    let fp = footprint(spec);
    println!("{}: {}", path.display(), spec.source);
    println!("architecture: {}", architecture(spec));
    for (n, layer) in spec.layers.iter().enumerate() {
        match layer {
            LayerSpec::Recurrent(r) => println!(
                "  layer {n}: {:<10} input {:>4}  hidden {:>4}  params {:>7}",
                layer.kind_name(),
                r.input_size,
                r.hidden_size,
                layer.param_count()
            ),
            LayerSpec::Dense(d) => println!(
                "  layer {n}: {:<10} input {:>4}  output {:>4}  params {:>7}",
                layer.kind_name(),
                d.input_size,
                d.output_size,
                layer.param_count()
            ),
        }
    }
    println!("inputs {}, outputs {}", spec.input_size, spec.output_size());
    println!("parameters: {}", fp.params);
    println!("flash: {} bytes (packed, 64-byte aligned weights)", fp.flash_bytes);
    println!("RAM: {} bytes (state and buffers, 32-bit target)", fp.ram_bytes);
    println!("MACs per step: {}", fp.macs_per_step);
}

fn bench<A: Activation>(spec: &ModelSpec) -> Result<()> {
    const RATE: usize = 48_000;
    let mut model = Model::<A>::from_spec(spec).map_err(|e| e.to_string())?;
    let (i, o) = (model.input_size(), model.output_size());
    let x: Vec<f32> = (0..RATE * i).map(|n| 0.5 * (n as f32 * 0.0144).sin()).collect();
    let mut y = vec![0.0; RATE * o];
    let mut times = Vec::new();
    for _ in 0..9 {
        let t0 = Instant::now();
        model.process_block(&x, &mut y);
        times.push(t0.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    println!("architecture: {}", architecture(spec));
    println!("activations: {:?}", A::KIND);
    println!("{:.1} ns/step (median of {} runs of {RATE} steps)", median * 1e9 / RATE as f64, times.len());
    println!("real-time factor at 48 kHz: {:.1}x", 1.0 / median);
    Ok(())
}
