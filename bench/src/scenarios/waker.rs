//! Waker: one thread wakes a loop, the loop's thread sees it and answers by waking the first
//! thread's loop. Every hop goes through the library's waker and poll; a flag per direction says
//! what the wake-up was for, as in any program that hands work to a loop.

use std::io;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Barrier};
use std::thread;

use crate::event_loop::EventLoop;
use crate::stopwatch::{Stopwatch, Timing};

/// Polls until `flag` is raised, and lowers it. The event itself is not trusted: some libraries
/// report a wake-up as an event, others only return from the wait.
fn wait_for<L: EventLoop>(event_loop: &mut L, flag: &AtomicBool) -> io::Result<()> {
    while !flag.swap(false, Ordering::AcqRel) {
        event_loop.poll(None, |_| {})?;
    }
    Ok(())
}

/// Two threads, `round_trips` wake-and-answer round trips.
pub fn run<L: EventLoop>(round_trips: u64) -> io::Result<Timing> {
    let ping = Arc::new(AtomicBool::new(false));
    let pong = Arc::new(AtomicBool::new(false));
    let mut own_loop = L::new()?;
    // Shared rather than moved: the answerer's last wake must not be followed by closing the
    // waker, which would take the pending event with it before we poll.
    let own_waker = Arc::new(own_loop.waker()?);
    let (waker_sender, waker_receiver) = mpsc::channel();

    let answerer = {
        let (ping, pong) = (Arc::clone(&ping), Arc::clone(&pong));
        let own_waker = Arc::clone(&own_waker);
        thread::spawn(move || -> io::Result<()> {
            let mut answer_loop = L::new()?;
            waker_sender
                .send(answer_loop.waker()?)
                .map_err(io::Error::other)?;
            for _ in 0..round_trips {
                wait_for(&mut answer_loop, &ping)?;
                pong.store(true, Ordering::Release);
                L::wake(&own_waker)?;
            }
            Ok(())
        })
    };
    let Ok(answer_waker) = waker_receiver.recv() else {
        return Err(answerer.join().expect("answerer panicked").unwrap_err());
    };

    let stopwatch = Stopwatch::start()?;
    for _ in 0..round_trips {
        ping.store(true, Ordering::Release);
        L::wake(&answer_waker)?;
        wait_for(&mut own_loop, &pong)?;
    }
    let timing = stopwatch.stop()?;
    answerer.join().expect("answerer panicked")?;
    Ok(timing)
}

/// `threads` threads share one loop's waker; each asks, the loop answers each through the
/// asker's own loop, `per_thread` times.
pub fn run_many<L: EventLoop>(threads: usize, per_thread: u64) -> io::Result<Timing> {
    assert!(threads <= 64, "one bit per thread in the request mask");
    let mut hub = L::new()?;
    let hub_waker = Arc::new(hub.waker()?);
    let requests = Arc::new(AtomicU64::new(0));
    let answered: Arc<Vec<AtomicBool>> = Arc::new((0..threads).map(|_| false.into()).collect());
    let start_line = Arc::new(Barrier::new(threads + 1));
    let (waker_sender, waker_receiver) = mpsc::channel();

    let mut askers = Vec::with_capacity(threads);
    for index in 0..threads {
        let (hub_waker, requests) = (Arc::clone(&hub_waker), Arc::clone(&requests));
        let (answered, start_line) = (Arc::clone(&answered), Arc::clone(&start_line));
        let waker_sender = waker_sender.clone();
        askers.push(thread::spawn(move || -> io::Result<()> {
            // Reach the start line whatever happens, or the hub would wait there for ever.
            let created = L::new().and_then(|mut own_loop| Ok((own_loop.waker()?, own_loop)));
            let created = created.and_then(|(waker, own_loop)| {
                waker_sender
                    .send((index, waker))
                    .map_err(io::Error::other)?;
                Ok(own_loop)
            });
            drop(waker_sender);
            start_line.wait();
            let mut own_loop = created?;
            for _ in 0..per_thread {
                requests.fetch_or(1 << index, Ordering::AcqRel);
                L::wake(&hub_waker)?;
                wait_for(&mut own_loop, &answered[index])?;
            }
            Ok(())
        }));
    }
    drop(waker_sender);
    let mut asker_wakers: Vec<Option<L::Waker>> = (0..threads).map(|_| None).collect();
    for (index, waker) in waker_receiver.iter().take(threads) {
        asker_wakers[index] = Some(waker);
    }
    start_line.wait();

    let total = threads as u64 * per_thread;
    let stopwatch = Stopwatch::start()?;
    let mut served = 0;
    while served < total {
        hub.poll(None, |_| {})?;
        let mut pending = requests.swap(0, Ordering::AcqRel);
        while pending != 0 {
            let index = pending.trailing_zeros() as usize;
            pending &= pending - 1;
            answered[index].store(true, Ordering::Release);
            let waker = asker_wakers[index].as_ref().ok_or_else(|| {
                io::Error::other("an asking thread failed before sending its waker")
            })?;
            L::wake(waker)?;
            served += 1;
        }
    }
    let timing = stopwatch.stop()?;
    for asker in askers {
        asker.join().expect("asking thread panicked")?;
    }
    Ok(timing)
}
