"""Every distribution parameter of the simulated world in one frozen dataclass, so that a world
is fully described by (parameters, number of creators, seed) and populations are variations."""

from __future__ import annotations

from dataclasses import dataclass

from detector.synth.schema import DEFAULT_INFLATED_TIERS


@dataclass(frozen=True)
class SimulationParams:
    """Every distribution parameter of the simulated world (units in the comments)."""

    # --- time ---
    window_end: str = "2026-06-30T00:00:00+00:00"  # end of observation (ISO 8601, UTC)
    window_days: float = 60.0  # length of the simulated window (days)

    # --- creators ---
    creator_followers_min: float = 1_000.0  # smallest creator (followers)
    creator_followers_max: float = 1_000_000.0  # largest creator (followers), log-uniform between
    engagement_rate_median: float = 0.03  # median likes per follower per post (fraction)
    engagement_rate_sigma: float = 0.6  # lognormal sigma of the engagement rate across creators
    engagement_rate_size_exponent: float = -0.2  # elasticity of the median rate w.r.t. followers
    engagement_rate_ref_followers: float = 100_000.0  # size at which the median applies
    post_likes_sigma: float = 0.5  # lognormal sigma of a post's likes around the creator mean
    likes_scale: float = 0.012  # sampling factor applied to expected likes (dimensionless)
    max_likes_per_post: int = 150  # cap on expected organic likes of a non-viral post (likes)
    posts_per_week_median: float = 2.0  # median posting rate across creators (posts/week)
    posts_per_week_sigma: float = 0.5  # lognormal sigma of the posting rate across creators
    posts_min: int = 3  # fewest posts per creator in the window (posts)
    posts_max: int = 120  # most posts per creator in the window (posts, < 1000)
    post_hour_peaks: tuple[float, float] = (12.5, 19.5)  # local publishing peaks (hour of day)
    post_hour_sd: float = 2.0  # sd of the publishing hour around a peak (hours)
    post_hour_midday_prob: float = 0.4  # probability of the midday peak (fraction)
    timezones: tuple[tuple[float, float], ...] = (  # (UTC offset in hours, weight)
        (-8.0, 0.12),
        (-6.0, 0.08),
        (-5.0, 0.16),
        (-3.0, 0.08),
        (0.0, 0.10),
        (1.0, 0.14),
        (2.0, 0.05),
        (3.0, 0.05),
        (5.5, 0.07),
        (7.0, 0.08),
        (8.0, 0.04),
        (9.0, 0.03),
    )

    # --- organic scenarios ---
    viral_share: float = 0.2  # share of organic creators with one viral post (fraction)
    new_creator_share: float = 0.15  # share of organic creators that are brand new (fraction)
    inflated_viral_prob: float = 0.1  # probability an inflated creator also has a viral post
    inflated_new_prob: float = 0.15  # probability an inflated creator is also brand new
    new_creator_followers: tuple[float, float] = (10_000.0, 200_000.0)  # log-uniform (followers)
    new_creator_er_boost: float = 2.0  # engagement-rate multiplier of fast-growing new creators
    new_creator_start_days: tuple[float, float] = (15.0, 40.0)  # first post, days before end
    new_creator_growth: float = 3.0  # likes ratio last post / first post of a new creator
    new_creator_old_accept: float = 0.15  # acceptance of accounts older than the young age
    young_audience_years: float = 1.5  # "young" account age for new-creator audiences (years)
    viral_multiplier: tuple[float, float] = (10.0, 100.0)  # viral likes / mean likes (log-unif.)
    viral_min_likes: int = 150  # fewest likes of a viral post (likes)
    viral_max_likes: int = 1_500  # most likes of a viral post (likes)
    viral_onset_median_h: float = 5.0  # median time from publication to take-off (hours)
    viral_burst_h: tuple[float, float] = (1.0, 6.0)  # duration scale of the burst (hours)
    viral_old_accept: float = 0.5  # acceptance of accounts older than 1 year among viral likers

    # --- audiences ---
    audience_size_factor: float = 4.0  # audience pool size / mean expected likes per post
    audience_min: int = 30  # smallest audience pool (accounts)
    loyal_like_share: float = 0.3  # share of a post's organic likes from loyal fans (fraction)
    loyal_like_prob: tuple[float, float] = (0.5, 0.9)  # a loyal fan's P(like a post), uniform
    loyal_notify_share: float = 0.4  # share of loyal-fan likes driven by notifications
    notify_delay_median_min: float = 6.0  # median delay of a notified like (minutes)
    notify_delay_sigma: float = 0.9  # lognormal sigma of notified delays
    discovery_share: float = 0.25  # share of non-loyal likes from non-followers (fraction)
    category_affinity: float = 0.75  # P(audience member from the creator's category community)
    community_width: float = 0.15  # width of a category community (fraction of population)
    tz_mismatch_accept: float = 0.15  # acceptance of audience members from another time zone
    population_factor: float = 1.5  # genuine population size / sum of audience pool sizes
    population_min: int = 20_000  # smallest genuine population (accounts)

    # --- organic timing ---
    delay_fast_median_h: float = 1.5  # median delay of the fast component (hours)
    delay_fast_sigma: float = 1.1  # lognormal sigma of the fast component
    delay_slow_median_h: float = 14.0  # median delay of the slow component (hours)
    delay_slow_sigma: float = 1.0  # lognormal sigma of the slow component
    delay_slow_share: float = 0.35  # share of likes from the slow component (fraction)
    diurnal_peaks_h: tuple[float, float] = (13.0, 21.0)  # local activity peaks (hour of day)
    diurnal_midday_weight: float = 0.6  # weight of the midday peak relative to the evening one
    diurnal_kappa: float = 2.0  # concentration of the daily peaks (von Mises kappa)
    diurnal_floor: float = 0.05  # minimum relative activity at local night (fraction of peak)

    # --- genuine accounts ---
    acct_age_median_years: float = 3.0  # median account age at window end (years)
    acct_age_sigma: float = 0.7  # lognormal sigma of the account age
    acct_age_max_years: float = 12.0  # oldest account (years)
    acct_age_min_years: float = 0.25  # youngest non-"young" account (years)
    young_account_share: float = 0.12  # share of young accounts (fraction)
    young_account_days: tuple[float, float] = (2.0, 180.0)  # young account age, uniform (days)
    followers_median: float = 120.0  # median followers of a 3-year-old average account
    followers_sigma: float = 1.5  # lognormal sigma of followers
    followers_activity_corr: float = 0.6  # correlation of log followers with activity
    followers_age_coef: float = 0.4  # elasticity of followers with respect to account age
    following_median: float = 300.0  # median following (accounts)
    following_sigma: float = 0.7  # lognormal sigma of following
    following_activity_coef: float = 0.3  # log following per unit of activity
    following_max: int = 7_500  # platform cap on following (accounts)
    lurker_share: float = 0.3  # share of accounts with zero posts (fraction)
    lurker_share_young: float = 0.55  # same among young accounts (fraction)
    posts_median: float = 25.0  # median posts of a 3-year-old active account (posts)
    posts_sigma: float = 1.0  # lognormal sigma of posts
    posts_activity_coef: float = 0.8  # log posts per unit of activity
    posts_age_exponent: float = 0.7  # elasticity of posts with respect to account age
    avatar_share: float = 0.88  # share with an avatar at average activity (fraction)
    avatar_activity_coef: float = 0.7  # logit change per unit of activity
    avatar_young_penalty: float = 0.8  # logit penalty for young accounts
    private_share: float = 0.25  # share of private accounts (fraction)
    verified_followers_min: int = 50_000  # accounts from here may be verified (followers)
    verified_prob_big: float = 0.25  # P(verified) above verified_followers_min
    verified_prob_base: float = 2e-4  # P(verified) otherwise
    bio_empty_share: float = 0.45  # share with an empty bio at average activity (fraction)
    bio_median: float = 40.0  # median length of a non-empty bio (characters)
    bio_sigma: float = 0.7  # lognormal sigma of the bio length
    bio_max: int = 150  # maximal bio length (characters)

    # --- inflation ---
    inflation_share: tuple[float, float] = (0.03, 0.80)  # share of fake likes, log-uniform
    min_fake_likes: int = 20  # fewest planned fake likes of an inflated creator (likes)
    # naive bought likes
    naive_posts: tuple[int, int] = (1, 3)  # posts receiving a purchase (inclusive range)
    naive_purchase_delay_median_h: float = 2.0  # median purchase time after publication (hours)
    naive_purchase_delay_sigma: float = 1.0  # lognormal sigma of the purchase delay
    naive_burst_min: tuple[float, float] = (3.0, 20.0)  # delivery duration, uniform (minutes)
    naive_account_age_days: tuple[float, float] = (1.0, 10.0)  # age at purchase (days)
    naive_accounts_per_day: int = 5_000  # accounts the naive sellers register per day
    naive_max_per_post: int = 5_000  # largest purchase per post (likes)
    naive_following_median: float = 1_200.0  # median following of naive accounts
    naive_followers_mean: float = 2.0  # mean followers of naive accounts (exponential)
    naive_avatar_share: float = 0.3  # share of naive accounts with an avatar
    # aged account farms
    aged_n_farms: int = 3  # number of aged farms (farms)
    aged_farm_size: int = 1_500  # smallest number of accounts per farm
    farm_accounts_per_creator: float = 20.0  # pools grow with their clients (accounts/creator)
    aged_batch_size: int = 200  # accounts registered together (accounts)
    aged_age_days: tuple[float, float] = (90.0, 1_500.0)  # batch age at window start (days)
    aged_post_fraction: tuple[float, float] = (0.5, 1.0)  # share of posts targeted, uniform
    aged_start_delay_median_h: float = 2.0  # median drip start after publication (hours)
    aged_drip_h: tuple[float, float] = (6.0, 72.0)  # drip duration per post, uniform (hours)
    aged_min_per_post: int = 5  # fewest planned likes of a drip on one post (likes)
    aged_followers_mean: float = 15.0  # mean followers of farm accounts (exponential)
    aged_following_median: float = 600.0  # median following of farm accounts
    aged_posts_max: float = 40.0  # farm accounts' posts: log-uniform 1..this (some zero)
    aged_avatar_share: float = 0.65  # share of farm accounts with an avatar
    # stealth farms
    stealth_pool_size: int = 600  # smallest shared stealth pool (accounts)
    stealth_batch_size: int = 50  # pool accounts registered on the same day (accounts)
    stealth_post_fraction: tuple[float, float] = (0.4, 1.0)  # share of posts targeted, uniform
    stealth_start_delay_median_h: float = 1.0  # median job start after publication (hours)
    stealth_start_delay_sigma: float = 1.0  # lognormal sigma of the job start
    stealth_job_min: tuple[float, float] = (2.0, 8.0)  # job duration, uniform (minutes)
    stealth_max_job_share: float = 0.6  # largest job as a share of the pool (fraction)
    stealth_min_job: int = 10  # fewest planned likes of one farm job (likes)
    # engagement pods
    pod_size: tuple[int, int] = (10, 30)  # members per pod (inclusive range)
    pod_delay_median_min: float = 8.0  # median pod like delay (minutes)
    pod_delay_sigma: float = 0.8  # lognormal sigma of pod delays
    pod_followers_median: float = 6_000.0  # median followers of pod members (not in the world)
    # hollow-account farms (opt-in tier): aged accounts, organic like timing, hollow profiles.
    # Each farm draws its own profile medians, as multiples of the genuine medians of the same
    # world (followers_median, following_median, posts_median), log-uniform in these ranges.
    hollow_n_farms: int = 3  # number of hollow farms (farms)
    hollow_farm_size: int = 1_500  # smallest number of accounts per farm (grows with clients)
    hollow_followers_factor: tuple[float, float] = (0.02, 0.3)  # farm median / genuine median
    hollow_followers_sigma: float = 1.0  # lognormal sigma of followers within a farm
    hollow_following_factor: tuple[float, float] = (2.0, 10.0)  # farm median / genuine median
    hollow_following_sigma: float = 0.7  # lognormal sigma of following within a farm
    hollow_posts_factor: tuple[float, float] = (0.01, 0.2)  # farm median / genuine median
    hollow_posts_sigma: float = 1.2  # lognormal sigma of posts within a farm
    hollow_no_posts_share: tuple[float, float] = (0.2, 0.7)  # accounts without posts, uniform
    hollow_avatar_share: tuple[float, float] = (0.2, 0.8)  # accounts with an avatar, uniform
    hollow_bio_empty_share: tuple[float, float] = (0.6, 0.95)  # accounts without a bio, uniform
    hollow_organic_name_share: tuple[float, float] = (0.3, 1.0)  # name-like usernames, uniform
    diurnal_max_tries: int = 30  # resampling rounds of the daily-cycle thinning
    # tiers of the inflated creators, assigned in rotation (any of naive, aged, stealth, pod,
    # hollow; the default world has the four-tier ladder)
    inflated_tiers: tuple[str, ...] = DEFAULT_INFLATED_TIERS
