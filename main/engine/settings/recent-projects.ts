import { recentList } from './recent-list';

export { settingsDir } from './recent-list';

export interface RecentProject {
  dir: string;
  name: string;
  openedAt: string;
}

const projects = recentList('recent-projects.json', 'dir');

export const readRecentProjects = (): RecentProject[] => projects.read();
export const rememberProject = (dir: string, name: string): void => projects.remember(dir, name);
