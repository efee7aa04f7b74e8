//! Carrying out the model's effects: each runs in the background (IO on blocking threads,
//! HTTP on the runtime) and answers with a `Msg`. A key that works replaces the client.

use super::{Done, Services, Tasks};
use crate::api::{ApiClient, ApiError, ClientOptions, LeadQuery};
use crate::cache::{CacheError, Cached};
use crate::history::{Event as RecordEvent, Folded};
use crate::model::history_view::{Listed, LoadedLeads};
use crate::model::{Effect, ExportError, KeyError, Msg, SaveError};

/// Runs blocking IO on a blocking thread; its answer is a `Msg`. Local work: quitting lets it
/// finish (briefly), so nothing is left half-written.
fn blocking(tasks: &mut Tasks, f: impl FnOnce() -> Msg + Send + 'static) {
    tasks.local.spawn_blocking(move || Done::Msg(f()));
}

/// Runs a request with the current client, or answers at once that there is no key.
fn with_api<F, Fut>(services: &Services, tasks: &mut Tasks, no_key: impl FnOnce(ApiError) -> Msg, f: F)
where
    F: FnOnce(ApiClient) -> Fut,
    Fut: std::future::Future<Output = Msg> + Send + 'static,
{
    if let Some(api) = services.api.clone() {
        let future = f(api);
        tasks.remote.spawn(async move { Done::Msg(future.await) });
    } else {
        let msg = no_key(ApiError::Auth("no API key yet".into()));
        tasks.remote.spawn(async move { Done::Msg(msg) });
    }
}

/// Starts one effect in the background; its result comes back as a `Msg`.
pub(super) fn start(effect: Effect, services: &Services, tasks: &mut Tasks) {
    match effect {
        Effect::LoadHistory => {
            let store = services.history.clone();
            blocking(tasks, move || match store.load_leads() {
                Ok(Folded { leads, orphans, loaded, search }) => {
                    let mut problems = loaded.problems;
                    if !orphans.is_empty() {
                        let path = store.path().display();
                        problems
                            .push(format!("{} result record(s) in {path} belong to no lead", orphans.len()));
                    }
                    let entries = LoadedLeads::new(leads, search);
                    give_back_free_memory();
                    Msg::HistoryLoaded { entries, problems, end: loaded.end }
                }
                Err(e) => Msg::HistoryFailed(e),
            });
        }
        Effect::ReadTail(from) => {
            let store = services.history.clone();
            blocking(tasks, move || Msg::TailRead(store.read_tail(from)));
        }
        Effect::ReadStory { local_id, as_of } => {
            let store = services.history.clone();
            blocking(tasks, move || Msg::StoryRead { local_id, as_of, result: store.story(local_id) });
        }
        Effect::Append(record) => {
            let store = services.history.clone();
            blocking(tasks, move || Msg::Appended {
                local_id: record.local_id,
                submitted: matches!(record.event, RecordEvent::Submitted { .. }),
                result: store.append(&record),
            });
        }
        Effect::Change { local_id, change_id, change, target, record, resumed } => {
            let store = services.history.clone();
            let api = services.api.clone();
            // A remote task: quitting leaves it behind, its records saying where it stood.
            tasks.remote.spawn(async move {
                let ended = |status, error| Done::Msg(Msg::change_ended(local_id, change_id, status, error));
                let written = {
                    let store = store.clone();
                    tokio::task::spawn_blocking(move || store.append(&record)).await
                };
                if let Err(e) = written.map_err(|e| e.to_string()).and_then(|r| r.map_err(|e| e.to_string()))
                {
                    let error = crate::history::LeadError {
                        kind: crate::api::ErrorKind::Storage,
                        message: format!("{e}; nothing was sent"),
                        http_status: None,
                        fields: Default::default(),
                    };
                    return ended(crate::history::ChangeStatus::Failed, Some(error));
                }
                let Some(api) = api else {
                    return ended(crate::history::ChangeStatus::Queued, None);
                };
                let write = |status, error: Option<&crate::history::LeadError>| {
                    let event = RecordEvent::Changed { change_id, status, error: error.cloned() };
                    let changed = crate::history::Record {
                        v: crate::history::record::SCHEMA_VERSION,
                        local_id,
                        at: jiff::Timestamp::now(),
                        run: None,
                        event,
                    };
                    if let Err(e) = store.append(&changed) {
                        tracing::warn!(error = %e, "a change's outcome could not be written");
                    }
                };
                let salt = change_id.0.as_u64_pair().1;
                let (status, error) = crate::delivery::change::drive(
                    &api,
                    crate::delivery::change::Job { target: &target, change: &change, left_as: resumed, salt },
                    crate::delivery::change::Patience::DEFAULT,
                    write,
                    // What a person would read goes to the notice at the end; the log keeps no server text.
                    |_said| {},
                )
                .await;
                ended(status, error)
            });
        }
        Effect::FetchServerLeads { campaign, status, phone, page, generation } => with_api(
            services,
            tasks,
            move |e| Msg::ServerLeadsFetched { generation, page, result: Err(e.to_string()) },
            move |api| async move {
                let query = crate::api::LeadQuery {
                    campaign_id: Some(campaign),
                    phone_number: phone,
                    status,
                    per_page: Some(crate::model::server_view::PER_PAGE),
                    page: Some(page),
                };
                let result = api.leads(&query).await.map_err(|e| e.to_string());
                Msg::ServerLeadsFetched { generation, page, result }
            },
        ),
        Effect::SetCampaignRunning { campaign, start } => with_api(
            services,
            tasks,
            move |e| Msg::CampaignSet { campaign, start, result: Err(e) },
            move |api| async move {
                Msg::CampaignSet { campaign, start, result: api.set_campaign_running(campaign, start).await }
            },
        ),
        Effect::FetchCalls { local_id, phone, campaign } => with_api(
            services,
            tasks,
            move |e| Msg::CallsFetched { local_id, result: Err(e.to_string()) },
            move |api| async move {
                /// Pages of calls read at most (a lead is called a few times).
                const MAX_PAGES: u64 = 10;
                let query = crate::api::CallQuery {
                    phone_number: Some(phone.clone()),
                    campaign_id: Some(campaign),
                    ..crate::api::CallQuery::default()
                };
                let result = api
                    .all_calls(&query, MAX_PAGES)
                    .await
                    // The server matches the phone in part: only this lead's number.
                    .map(|calls| {
                        calls
                            .into_iter()
                            .filter(|c| c.client_phone_number.as_deref().is_none_or(|p| p == phone))
                            .collect()
                    })
                    .map_err(|e| e.to_string());
                Msg::CallsFetched { local_id, result }
            },
        ),
        Effect::CheckTeam { phone, campaign } => with_api(
            services,
            tasks,
            {
                let phone = phone.clone();
                move |e| Msg::TeamChecked { phone, campaign, result: Err(e) }
            },
            |api| async move {
                let result = crate::delivery::already_in_campaign(&api, &phone, campaign).await;
                Msg::TeamChecked { phone, campaign, result }
            },
        ),
        Effect::Note(records) => {
            let store = services.history.clone();
            blocking(tasks, move || Msg::Noted(records.iter().try_for_each(|r| store.append(r))));
        }
        Effect::FindTimeZone => blocking(tasks, || Msg::TimeZoneFound(jiff::tz::TimeZone::system())),
        Effect::LoadCache => {
            let cache = services.cache.clone();
            blocking(tasks, move || {
                let mut problems = Vec::new();
                let campaigns = found(cache.load_campaigns(), &mut problems);
                let assistants = found(cache.load_assistants(), &mut problems);
                Msg::CacheLoaded { campaigns, assistants, problems }
            });
        }
        Effect::SaveCampaigns(campaigns) => {
            let cache = services.cache.clone();
            blocking(tasks, move || Msg::Saved(cache.save_campaigns(&campaigns).map_err(SaveError::from)));
        }
        Effect::SaveAssistants(assistants) => {
            let cache = services.cache.clone();
            blocking(tasks, move || Msg::Saved(cache.save_assistants(&assistants).map_err(SaveError::from)));
        }
        Effect::RememberCampaign(id) => {
            let cache = services.cache.clone();
            blocking(tasks, move || {
                let saved = cache.update_remembered(|r| r.last_campaign = Some(id));
                Msg::Saved(saved.map_err(SaveError::from))
            });
        }
        Effect::RememberLayout { campaign, layout } => {
            let cache = services.cache.clone();
            blocking(tasks, move || {
                let saved = cache.update_remembered(|r| match layout {
                    Some(layout) => {
                        r.layouts.insert(campaign, layout);
                    }
                    None => {
                        r.layouts.remove(&campaign);
                    }
                });
                Msg::Saved(saved.map_err(SaveError::from))
            });
        }
        Effect::SaveDraft { seq, draft } => {
            let Some(store) = services.draft.clone() else { return };
            blocking(tasks, move || {
                let saved = store.save(seq, draft.as_ref());
                Msg::Saved(saved.map_err(SaveError::from))
            });
        }
        Effect::FetchLayout(campaign) => with_api(
            services,
            tasks,
            move |e| Msg::LayoutFetched { campaign, result: Err(e) },
            move |api| async move {
                let query =
                    LeadQuery { campaign_id: Some(campaign), per_page: Some(50), ..LeadQuery::default() };
                let result = api.leads(&query).await.map(|page| page.data);
                Msg::LayoutFetched { campaign, result }
            },
        ),
        Effect::Export { path, leads } => {
            blocking(tasks, move || Msg::Exported(export_csv(&path, &leads).map(|n| (path, n))));
        }
        Effect::Filter(pass) => blocking(tasks, move || super::filter::run_pass(&pass)),
        Effect::FetchCampaigns => with_api(
            services,
            tasks,
            |e| Msg::CampaignsFetched(Err(e)),
            |api| async move { Msg::CampaignsFetched(api.campaigns().await) },
        ),
        Effect::FetchAssistants => with_api(
            services,
            tasks,
            |e| Msg::AssistantsFetched(Err(e)),
            |api| async move { Msg::AssistantsFetched(api.outbound_assistants().await) },
        ),
        Effect::RefreshStatuses(campaigns) => with_api(
            services,
            tasks,
            |e| Msg::StatusesRefreshed(Err(e)),
            |api| async move { Msg::StatusesRefreshed(server_statuses(&api, &campaigns).await) },
        ),
        Effect::WhoAmI => with_api(
            services,
            tasks,
            |e| Msg::Me(Err(e)),
            |api| async move { Msg::Me(api.me().await.map(|me| me.name)) },
        ),
        Effect::Send { local_id, request } => with_api(
            services,
            tasks,
            |e| Msg::Sent { local_id, result: Err(e) },
            |api| async move { Msg::Sent { local_id, result: api.create_lead(&request).await } },
        ),
        Effect::LookUp { local_id, request, since, taken } => with_api(
            services,
            tasks,
            |e| Msg::LookedUp { local_id, result: Err(e) },
            |api| async move {
                let result = crate::delivery::look_up(&api, &request, since, &taken).await;
                Msg::LookedUp { local_id, result }
            },
        ),
        Effect::Claim { claims, from } => {
            let store = services.history.clone();
            blocking(tasks, move || {
                let result = store.claim(&claims, from);
                Msg::Claimed(result.map(|r| claims.iter().map(|c| c.local_id).zip(r).collect()))
            });
        }
        Effect::WatchOwner(run) => {
            // On a thread of its own, not the runtime's blocking pool: it may block for as long
            // as the other run lives, and must not hold up the end of this one.
            let store = services.history.clone();
            let (tx, rx) = tokio::sync::oneshot::channel();
            let spawned = std::thread::Builder::new().name("watch-run".into()).spawn(move || {
                store.wait_until_gone(run);
                let _ = tx.send(());
            });
            if spawned.is_ok() {
                tasks.remote.spawn(async move {
                    let _ = rx.await;
                    Done::Msg(Msg::OwnerGone(run))
                });
            }
        }
        Effect::TryKey(key) => {
            let options = ClientOptions { key: key.0.clone(), ..services.client.clone() };
            let config_file = services.config_file.clone();
            tasks.remote.spawn(async move { try_key(options, key, config_file).await });
        }
    }
}

/// Tries a key typed in the app; when the server accepts it, it is saved (mode 0600) and its
/// client replaces the current one.
async fn try_key(
    options: ClientOptions,
    key: crate::config::ApiKey,
    config_file: Option<std::path::PathBuf>,
) -> Done {
    let api = match ApiClient::new(options) {
        Ok(api) => api,
        Err(e) => return Done::Msg(Msg::KeyTried(Err(KeyError::NotChecked(e)))),
    };
    let name = match api.me().await {
        Ok(me) => crate::sanitize::cleaned(&me.name),
        Err(e) if e.is_auth() => return Done::Msg(Msg::KeyTried(Err(KeyError::Refused))),
        Err(e) => return Done::Msg(Msg::KeyTried(Err(KeyError::NotChecked(e)))),
    };
    // A key that works is used from now on, saved or not: the two are reported apart.
    let mut not_saved = None;
    if let Some(path) = config_file {
        let saved = tokio::task::spawn_blocking(move || crate::config::save_key(&path, &key)).await;
        if let Ok(Err(e)) | Err(e) = saved.map_err(|e| crate::config::ConfigError::Invalid(e.to_string())) {
            not_saved = Some(e);
        }
    }
    Done::NewClient(api, Msg::KeyTried(Ok(crate::model::KeyWorks { account: name, not_saved })))
}

/// A cached list and its age; a damaged cache counts as none, with a word for the user.
fn found<T>(
    result: Result<Option<Cached<T>>, CacheError>,
    problems: &mut Vec<String>,
) -> Option<(T, jiff::Timestamp)> {
    match result {
        Ok(found) => found.map(|c| (c.value, c.fetched_at)),
        Err(e) => {
            problems.push(format!("{e}; it will be fetched again"));
            None
        }
    }
}

/// Pages through `GET /user/leads` for each campaign and collects each lead's server status by id.
/// Bounded, so a huge account cannot keep it going forever.
async fn server_statuses(
    api: &ApiClient,
    campaigns: &[u64],
) -> Result<std::collections::HashMap<crate::api::types::LeadId, String>, crate::api::ApiError> {
    const MAX_PAGES: u64 = 200;
    let mut statuses = std::collections::HashMap::new();
    for &campaign in campaigns {
        let query = LeadQuery { campaign_id: Some(campaign), ..LeadQuery::default() };
        // Page by page: only each lead's id and status are kept.
        api.each_lead_page(&query, MAX_PAGES, |page| {
            statuses.extend(page.into_iter().filter_map(|lead| Some((lead.id, lead.status?))));
            true
        })
        .await?;
    }
    Ok(statuses)
}

/// Writes leads as CSV to a new private file (its directory created if needed).
fn export_csv(path: &std::path::Path, leads: &Listed) -> Result<usize, ExportError> {
    fn failed(at: &std::path::Path) -> impl FnOnce(std::io::Error) -> ExportError + '_ {
        move |source| ExportError { path: at.to_owned(), source }
    }
    if let Some(dir) = path.parent() {
        crate::config::create_private_dir(dir).map_err(failed(dir))?;
    }
    let file = crate::config::private_file_options().create_new(true).open(path).map_err(failed(path))?;
    crate::history::query::write_csv(|f| leads.each(f), std::io::BufWriter::new(file))
        .map_err(|e| failed(path)(std::io::Error::from(e)))?;
    Ok(leads.len())
}

/// Returns the heap's free pages to the system. Reading a long history leaves tens of megabytes
/// of parsing scraps freed between the leads that stay; glibc's allocator keeps such holes
/// mapped until asked. Elsewhere a no-op.
fn give_back_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free memory of the allocator's own arenas.
    unsafe {
        libc::malloc_trim(0);
    }
}
