import { recentList } from './recent-list';

/** Cohort indexes opened lately (the project picker lists them), newest first. */
export interface RecentCohort {
  file: string;
  name: string;
  openedAt: string;
}

const cohorts = recentList('recent-cohorts.json', 'file');

export const readRecentCohorts = (): RecentCohort[] => cohorts.read();
export const rememberCohort = (file: string, name: string): void => cohorts.remember(file, name);
