//! Starting and stopping a campaign from the campaign list (F5 on the highlighted one), after a
//! question: starting makes the assistant call people, stopping aborts the calls under way. The
//! API's rule that a campaign needs leads before it can start is said when it refuses.

use super::{App, Effect, Level, Overlay};
use crate::api::ApiError;

/// "Start (or stop) this campaign?"
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignPrompt {
    /// The campaign.
    pub id: u64,
    /// Its name, as listed.
    pub name: String,
    /// Start it (else stop it).
    pub start: bool,
}

impl App {
    /// F5 in the campaign list: asks before starting or stopping the highlighted campaign.
    pub(super) fn ask_campaign_run(&mut self) {
        let selected = self.entry.picker.map_or(0, |p| p.selected);
        let Some(campaign) = self.campaign_matches().get(selected).map(|c| (*c).clone()) else {
            self.notify(Level::Info, "No campaign highlighted to start or stop");
            return;
        };
        // Running ones are stopped; the rest (draft, stopped, paused, …) are started.
        let start = !campaign.status.as_deref().is_some_and(|s| s == "in-progress" || s == "running");
        let prompt = CampaignPrompt { id: campaign.id, name: campaign.name, start };
        self.open_overlay(Overlay::Campaign(Box::new(prompt)));
    }

    /// The answer to the question: yes sends the request.
    pub(super) fn answer_campaign_run(&mut self, yes: bool) -> Vec<Effect> {
        let Some(Overlay::Campaign(prompt)) = self.overlay.take() else { return vec![] };
        if !yes {
            self.notify(Level::Info, format!("Campaign {} left as it is", prompt.name));
            return vec![];
        }
        let doing = if prompt.start { "Starting" } else { "Stopping" };
        self.notify(Level::Info, format!("{doing} campaign {} (#{})…", prompt.name, prompt.id));
        vec![Effect::SetCampaignRunning { campaign: prompt.id, start: prompt.start }]
    }

    /// The server's answer: the campaign's status now, or why not.
    pub(super) fn campaign_run_set(&mut self, campaign: u64, start: bool, result: Result<String, ApiError>) {
        let name = self.catalog.campaign(campaign).map_or_else(|| format!("#{campaign}"), |c| c.name.clone());
        match result {
            Ok(status) => {
                if let Some(c) = self.catalog.campaigns.iter_mut().find(|c| c.id == campaign) {
                    c.status = Some(status.clone());
                }
                self.notify(Level::Info, format!("Campaign {name} is now {status}"));
            }
            // A refusal of the request itself (no such campaign) names its fields; the rule
            // is about a campaign that exists.
            Err(ApiError::Rejected { message, errors, .. }) if start && errors.is_empty() => self.notify(
                Level::Error,
                format!(
                    "Campaign {name} was not started: {}. A campaign needs leads before it can start: send one first",
                    message.trim_end_matches('.')
                ),
            ),
            Err(e) => {
                let what = if start { "started" } else { "stopped" };
                self.notify(Level::Error, format!("Campaign {name} was not {what}: {e}"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::types::Campaign;
    use crate::model::kit::act;
    use crate::model::{Action, AppOptions, Focus, Msg};

    fn app() -> App {
        let (mut app, _) = App::new(AppOptions::default());
        let campaigns = vec![
            Campaign { id: 12, name: "Hannover Messe".into(), status: Some("draft".into()) },
            Campaign { id: 13, name: "Rückrufe".into(), status: Some("in-progress".into()) },
        ];
        app.update(Msg::CampaignsFetched(Ok(campaigns)));
        app.set_focus(Focus::Campaign);
        app.open_picker();
        app
    }

    fn sets(effects: &[Effect]) -> Vec<(u64, bool)> {
        effects
            .iter()
            .filter_map(|e| match e {
                Effect::SetCampaignRunning { campaign, start } => Some((*campaign, *start)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_campaign_is_started_from_the_list_after_a_question() {
        let mut app = app();
        assert!(sets(&act(&mut app, Action::CampaignRun)).is_empty(), "asked first");
        let Some(Overlay::Campaign(prompt)) = &app.overlay else { panic!("{:?}", app.overlay) };
        assert_eq!((prompt.id, prompt.start), (12, true));
        assert_eq!(sets(&act(&mut app, Action::Activate)), [(12, true)]);
        app.update(Msg::CampaignSet { campaign: 12, start: true, result: Ok("in-progress".into()) });
        assert_eq!(app.catalog.campaign(12).unwrap().status.as_deref(), Some("in-progress"));
        assert!(app.notice.as_ref().unwrap().text.contains("is now in-progress"), "{:?}", app.notice);
    }

    #[test]
    fn a_running_campaign_is_stopped_and_a_refusal_to_start_says_the_rule() {
        let mut app = app();
        act(&mut app, Action::Down);
        act(&mut app, Action::CampaignRun);
        let Some(Overlay::Campaign(prompt)) = &app.overlay else { panic!("{:?}", app.overlay) };
        assert_eq!((prompt.id, prompt.start), (13, false));
        // No: nothing sent.
        assert!(sets(&act(&mut app, Action::Close)).is_empty());
        assert!(app.overlay.is_none());
        let refusal = ApiError::Rejected {
            status: 422,
            message: "Campaign has no leads.".into(),
            errors: Default::default(),
        };
        app.update(Msg::CampaignSet { campaign: 12, start: true, result: Err(refusal) });
        let notice = &app.notice.as_ref().unwrap().text;
        assert!(notice.contains("Campaign has no leads.") && notice.contains("needs leads"), "{notice}");
        assert_eq!(app.catalog.campaign(12).unwrap().status.as_deref(), Some("draft"));
    }
}
